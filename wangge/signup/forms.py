"""Page forms for sign-up and password reset: they carry the fields and their labels; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    display_name = forms.CharField(label=_("姓名或称呼"), max_length=30, required=False)
    password = forms.CharField(
        label=_("设置密码"),
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )
    consent = forms.BooleanField(label=_("我已阅读并同意《个人信息保护告知书》"), required=False)
    invite = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)


class ResetForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    password = forms.CharField(
        label=_("新密码"),
        max_length=128,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )


class LinkForm(forms.Form):
    household_id = forms.IntegerField(
        label=_("户编号（门牌上的户号，或向网格员询问）"), min_value=1, max_value=2**53
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
