"""The use cases: each operation is one async function of (unit of work, actor, input) that loads
through the actor's scope, runs the lifecycle transition, saves and publishes the events through the
unit of work (written as audit entries and outbox notifications when the caller commits). The chat
screens and the command line call them alike and only translate input and output; refusals are
typed domain errors that the outer layer renders (``dialogs/operations.py``)."""
