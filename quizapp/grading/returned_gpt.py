"""The learner's side and the checker's side of an exercise whose entry point changes the lab's
GPT and returns it (`smoothquant`, `awq`): the returned model's tensors cross as an artifact,
and the checker loads them into its own GPT (torch; checker and learner processes only)."""

from __future__ import annotations

from typing import Any

from torch import nn

from quizapp.grading.artifacts import ArtifactError
from quizapp.grading.checker_context import Context
from quizapp.grading.checks import LearnerError
from quizapp.grading.learner_run import Run, class_path


def produce_returned_model(run: Run, what: str) -> None:
    """Call the entry point on a copy of the GPT the setup saved ("weights", "recipe") and the
    calibration ids; save the returned model's state_dict with a card of what came back."""
    from quizapp.grading.gpt_baseline import GPT

    shape = run.job.load_json("recipe")
    model = GPT(int(shape["width"]), int(shape["layers"]), int(shape["context"]))
    model.load_state_dict(run.input("weights"))
    card: dict[str, Any] = {}
    try:
        result = run.call(run.entry, model.eval(), run.input("calibration"), what=what)
    except LearnerError as exc:
        run.out.save_json("model", {"raised": exc.message})
        return
    card["type"] = class_path(result)
    if isinstance(result, nn.Module):
        state = run.call(nn.Module.state_dict, result, what="state_dict() of the returned model")
        run.out.save("model", {k: v.detach().clone() for k, v in state.items()})
    run.out.save_json("model", card)


def returned_model(ctx: Context, what: str) -> nn.Module:
    """The checker's own GPT holding the learner's returned weights (memoised), or a
    LearnerError saying what came back instead."""

    def build() -> nn.Module:
        from quizapp.grading.gpt_baseline import build_model

        card = ctx.card("model")
        if card.get("raised"):
            raise LearnerError(str(card["raised"]))
        shown = str(card.get("type") or "nothing").rsplit(".", 1)[-1]
        if not ctx.out.exists("model"):
            if shown == "NoneType":
                raise LearnerError(f"{what} returned None, not the model (return it).")
            raise LearnerError(f"{what} returned a {shown}, not a torch.nn.Module.")
        try:
            state = ctx.out.load("model")
        except ArtifactError as exc:
            raise LearnerError(f"The returned model could not be read: {exc}") from None
        model = build_model(ctx.store["baseline"].recipe)
        try:
            model.load_state_dict(state, strict=True)
        except Exception as exc:  # noqa: BLE001 - the learner's tensors do not fit
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise LearnerError(
                f"The state_dict of the returned {shown} does not fit the GPT it was given: "
                f"{first[:500]}. Change the model's tensors in place and return the model."
            ) from None
        return model.eval()

    return ctx.memo("candidate", build)
