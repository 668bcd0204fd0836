from django.urls import path

from . import views

app_name = "volunteers"
urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/<int:pk>/", views.activity, name="activity"),
    path("tasks/<int:pk>/signup/", views.signup, name="signup"),
    path("signups/<int:pk>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("signups/<int:pk>/accept/", views.signup_accept, name="signup_accept"),
    path("mine/", views.mine, name="mine"),
    path("bookings/", views.bookings, name="bookings"),
    path("bookings/<int:pk>/rate/", views.booking_rate, name="booking_rate"),
    path("checkin/", views.checkin, name="checkin"),
    path("profile/", views.profile, name="profile"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.publish, name="publish"),
    path("manage/<int:pk>/", views.run, name="run"),
    path("units/", views.units, name="units"),
    path("members/<int:pk>/verify/", views.member_verify, name="member_verify"),
    path("members/<int:pk>/unit/", views.member_unit, name="member_unit"),
    path("figures/", views.figures, name="figures"),
]
