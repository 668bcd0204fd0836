"""The rule sets shipped with Wangge: the Civil Code (national) and an example of a local elevator rule."""

from django.db import migrations

CIVIL_CODE = {
    # 民法典 第二百七十八条第二款: quorum 2/3 of area and of owners; items 6–8 need 3/4 of the participating
    # area and owners (以上 = at least); the others more than half (过半数 = strictly more).
    "general": {"quorum_area": "2/3", "quorum_heads": "2/3", "approve_area": "1/2", "approve_heads": "1/2",
                "approve_strict": True},
    "major": {"quorum_area": "2/3", "quorum_heads": "2/3", "approve_area": "3/4", "approve_heads": "3/4",
              "approve_strict": False},
    # Elevator retrofits are 改建 (item 7) decided by the building's or entrance's owners.
    "elevator": {"quorum_area": "2/3", "quorum_heads": "2/3", "approve_area": "3/4", "approve_heads": "3/4",
                 "approve_strict": False},
}  # fmt: skip

LOCAL_EXAMPLE = {
    "general": CIVIL_CODE["general"],
    "major": CIVIL_CODE["major"],
    # An example of a stricter local elevator rule: 2/3 of ALL the entrance's owners, by area and by number,
    # must approve (the base is the electorate, not the participants). Edit or replace per city.
    "elevator": {"quorum_area": "2/3", "quorum_heads": "2/3", "approve_area": "2/3", "approve_heads": "2/3",
                 "approve_strict": False, "approve_base": "electorate"},
}  # fmt: skip


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    RuleSet = apps.get_model("voting", "RuleSet")
    RuleSet.objects.get_or_create(
        name="民法典（全国通用）",
        defaults={"city": "", "thresholds": CIVIL_CODE, "basis": "民法典第二百七十八条；最高人民法院建筑物区分所有权司法解释第八、九条"},
    )
    RuleSet.objects.get_or_create(
        name="示例：加装电梯按本单元全体业主三分之二同意",
        defaults={"city": "示例城市", "thresholds": LOCAL_EXAMPLE,
                  "basis": "示例规则：部分城市加装电梯办法以本单元全体业主为基数；请按本市现行办法修改"},
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("voting", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
