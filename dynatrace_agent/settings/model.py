"""The chat model a ``provider:model`` setting names (``DT_AGENT_MODEL``, ``--model``, ``model =``).

One resolver for every place that takes a model, so a wrong name or a missing provider
package is reported the same way everywhere: the CLI, the graph, the agent and the eval judge.
"""

from __future__ import annotations

from typing import Any

from dynatrace_agent.errors import ConfigurationError

__all__ = ["resolve_model"]


def resolve_model(model: Any | None) -> Any | None:
    """A chat model from an instance (returned as is), a ``provider:model`` string, or None.

    Strings are loaded with LangChain's ``init_chat_model`` (the ``models`` extra); a missing
    package or an unknown provider is a ``ConfigurationError`` saying what to install or unset.
    """
    if model is None or not isinstance(model, str):
        return model
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        raise ConfigurationError(
            f"the model {model!r} needs the 'models' extra: pip install 'dynatrace-agent[models]'"
        ) from None
    try:
        return init_chat_model(model)
    except (ImportError, ValueError) as err:
        raise ConfigurationError(
            f"cannot load the model {model!r} ({err}); install the provider's LangChain package "
            "(e.g. langchain-openai) or unset DT_AGENT_MODEL"
        ) from None
