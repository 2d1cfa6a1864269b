"""The form's working copy: read as an Action and as its list of fields once per draft."""

from __future__ import annotations

from dialogs.state import FormState
from domain.catalogue import action_fields_for
from tests.factories import make_valid_action


def _keys(form: FormState) -> list[str]:
    return [f.key for f in form.action_fields()]


def test_the_fields_follow_each_new_draft() -> None:
    action = make_valid_action(certifiante=True)
    form = FormState(draft=action.model_dump(mode="json"))
    assert "certifications" in _keys(form)
    assert form.action_fields() is form.action_fields()  # worked out once for this draft
    # An answer replaces the draft: « non certifiante » no longer asks for the certifications.
    form.draft = {**form.draft, "certifiante": False}
    assert "certifications" not in _keys(form)
    assert form.action_fields() == action_fields_for(form.action_view())
