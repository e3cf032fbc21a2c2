"""Fill the contact-point index from the e-mails and phones customers already hold.

Active records first, oldest first: when two records list the same value
(which the services refuse, but old data may hold), the older active one
keeps it, as ``customer_find_deterministic`` used to answer.
"""

from django.db import migrations


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Customer = apps.get_model("customers", "Customer")
    ContactPoint = apps.get_model("customers", "ContactPoint")
    seen: set[tuple[str, str]] = set()
    batch = []
    customers = Customer.objects.order_by("merged_into_id", "pk").only("pk", "emails", "phones", "external_crm_id")
    for customer in customers.iterator(chunk_size=2000):
        source = "crm" if customer.external_crm_id else ""
        for kind, values in (("email", customer.emails or []), ("phone", customer.phones or [])):
            for raw in values:
                value = str(raw).strip().lower() if kind == "email" else str(raw).strip()
                if not value or (kind, value) in seen:
                    continue
                seen.add((kind, value))
                batch.append(ContactPoint(customer_id=customer.pk, kind=kind, value=value[:254], source=source))
        if len(batch) >= 2000:
            ContactPoint.objects.bulk_create(batch)
            batch = []
    ContactPoint.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_contact_points_consent_segments_imports")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
