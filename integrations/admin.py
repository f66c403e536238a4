from django import forms
from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from integrations import (
    admin_connectors,  # noqa: F401
    admin_inbox,  # noqa: F401  (registers the inbox admin)
    admin_outbox,  # noqa: F401
    admin_security,  # noqa: F401
    services,
)
from integrations.models import ApiKey, ExternalSystem, Ownership
from integrations.scopes import SCOPES


@admin.register(ExternalSystem)
class ExternalSystemAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "enabled", "updated_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["code", "name"]


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=sorted(SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ["system", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(SimpleHistoryAdmin):
    list_display = [
        "system",
        "name",
        "prefix",
        "scope_list",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["system", "revoked_at"]
    readonly_fields = [
        "system",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    exclude = ["hashed_key"]
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_list(self, key: ApiKey) -> str:
        return ", ".join(key.scopes)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        key, raw = services.api_key_create(
            system=form.cleaned_data["system"],
            scopes=form.cleaned_data["scopes"],
            name=form.cleaned_data["name"],
            expires_at=form.cleaned_data["expires_at"],
        )
        obj.pk = key.pk
        messages.warning(request, f"The new key, shown this once: {raw}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            services.api_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(Ownership)
class OwnershipAdmin(SimpleHistoryAdmin):
    list_display = ["object_type", "system", "updated_at"]
