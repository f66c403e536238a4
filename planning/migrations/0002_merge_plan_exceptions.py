from django.db import migrations


class Migration(migrations.Migration):
    """The plan tables and the exception tables were made side by side."""

    dependencies = [
        ("planning", "0001_exceptions"),
        ("planning", "0001_plan"),
    ]

    operations = []
