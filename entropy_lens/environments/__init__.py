"""Agent environments as rollout text shows them, one job per module:

* ``recognition`` — which environment a prompt belongs to, which tag it asks the action in;
* ``action_lists`` — the actions a prompt admits, in any list syntax;
* ``tools`` — tool schemas of chat tool-calling prompts;
* ``evidence`` — what the environment showed (observations; never the task instruction);
* ``environment_text`` — which parts of a concatenated output the environment wrote;
* ``annotation`` — fill a rollouts table's ``admissible_actions`` and name each row's environment.

Formats are taken from the frameworks' own templates (facts only, no code copied):

* verl-agent (``agent_system/environments/prompts/{alfworld,webshop,sokoban,search}.py`` and
  ``env_manager.py``): ``Your admissible actions of the current situation are: [...]``; the action
  goes in ``<action>…</action>``; history lines ``[Observation k: '…', Action k: '…']``.
* RAGEN Sokoban (``ragen/env/sokoban``): ``Actions you can take: Up, Down, Left, Right.``, the
  action in ``<answer>…</answer>``, feedback ``… the observation is: … reward: … done: …``.
* Search agents (Search-R1, verl-agent search): ``<search> query </search>``, results in
  ``<information>…</information>`` (Search-R1 appends them to the same sequence), ``<answer>``.
* Chat tool calling (Qwen2.5 / Hermes template): OpenAI-style schemas inside ``<tools>…</tools>``;
  calls ``<tool_call>{"name", "arguments"}</tool_call>``; results ``<tool_response>…</tool_response>``
  in a ``user``/``tool`` turn. verl's dumps decode without special tokens, so turn headers appear
  as bare ``user`` / ``assistant`` lines.
"""

from entropy_lens.environments.action_lists import (
    PY_SPACE,
    SOKOBAN_ACTIONS,
    admissible_actions,
    list_items,
    parse_admissible,
)
from entropy_lens.environments.annotation import annotate, recognised
from entropy_lens.environments.environment_text import CONCATENATED, policy_spans
from entropy_lens.environments.evidence import current_observation, observations
from entropy_lens.environments.recognition import (
    ACTION_ENVS,
    ENVIRONMENTS,
    action_tag_expr,
    recognise,
    recognise_expr,
)
from entropy_lens.environments.tools import tool_schemas

__all__ = [
    "ACTION_ENVS",
    "CONCATENATED",
    "ENVIRONMENTS",
    "PY_SPACE",
    "SOKOBAN_ACTIONS",
    "action_tag_expr",
    "admissible_actions",
    "annotate",
    "current_observation",
    "list_items",
    "observations",
    "parse_admissible",
    "policy_spans",
    "recognise",
    "recognise_expr",
    "recognised",
    "tool_schemas",
]
