"""Agent prompts as the frameworks write them, shared by the environment and detector tests.

Fixed text is verbatim from the templates: verl-agent ``agent_system/environments/prompts/{alfworld,
webshop,sokoban}.py`` with the list formatting of its ``env_manager.py`` (ALFWorld items joined by
``"\\n "``, WebShop items one per line with a trailing comma); RAGEN's Sokoban instructions
(``ragen/env/sokoban``); Search-R1's question prompt; Qwen2.5's tool-calling system prompt.
Observations, tasks and tools are made up.
"""

import re

ALFWORLD = (
    "\nYou are an expert agent operating in the ALFRED Embodied Environment. Your task is to: put a clean apple in fridge.\n"
    "Prior to this step, you have already taken 1 step(s). Below are the most recent 1 observations and the "
    "corresponding actions you took: [Observation 1: 'You are in the middle of a room. Looking quickly around you, "
    "you see a countertop 1, a fridge 1.', Action 1: 'go to countertop 1']\n"
    "You are now at step 2 and your current observation is: You arrive at countertop 1. On the countertop 1, you see a apple 1.\n"
    "Your admissible actions of the current situation are: ['go to fridge 1'\n 'take apple 1 from countertop 1'\n 'look'].\n\n"
    "Now it's your turn to take an action.\nYou should first reason step-by-step about the current situation. This "
    "reasoning process MUST be enclosed within <think> </think> tags. \nOnce you've finished your reasoning, you "
    "should choose an admissible action for current step and present it within <action> </action> tags.\n"
)
WEBSHOP = (
    "\nYou are an expert autonomous agent operating in the WebShop e\u2011commerce environment. \n"
    "Your task is to: Find me machine wash men's t-shirts with short sleeve, and price lower than 30.00 dollars.\n"
    "Your current observation is: 'Back to Search' [SEP] 'Page 1 (Total results: 50)' [SEP] 'Next >' [SEP] "
    "'B09QQP3356' [SEP] 'Men's Casual Tee Crew Neck Cotton' [SEP] '$15.99'.\n"
    "Your admissible actions of the current situation are: \n[\n'search[<your query>]',\n'click[back to search]',\n"
    "'click[next >]',\n'click[b09qqp3356]',\n].\n\n"
    "Now it's your turn to take one action for the current step.\nYou should first reason step-by-step about the "
    "current situation, then think carefully which admissible action best advances the shopping goal. This reasoning "
    "process MUST be enclosed within <think> </think> tags. \nOnce you've finished your reasoning, you should choose "
    "an admissible action for current step and present it within <action> </action> tags.\n"
)
SOKOBAN_VERL_AGENT = 'You are an expert agent operating in the Sokoban environment.\n...\nYour admissible actions are ["up", "down", "left", "right"].\n'
SOKOBAN_RAGEN = (
    "You are a Sokoban solver.\nActions you can take: Up, Down, Left, Right. You can only take one action at a time.\n"
    "[Initial Observation]:\n # \t # \t # \t # \t\n # \t P \t X \t # \t\nDecide your next action.\n"
    "Always output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra test."
)
SEARCH = (
    "Answer the given question. You must conduct reasoning inside <think> and </think> first every time you get new "
    "information. After reasoning, if you find you lack some knowledge, you can call a search engine by <search> query "
    "</search> and it will return the top searched results between <information> and </information>. Question: who wrote hamlet?\n"
)
TOOLS = (
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n"
    "You may call one or more functions to assist with the user query.\n\n"
    "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
    '{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": '
    '{"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}}, '
    '"required": ["city"], "additionalProperties": false}}}\n'
    '{"type": "function", "function": {"name": "calculator", "parameters": {"type": "object", "properties": '
    '{"expression": {"type": "string"}}, "required": ["expression"]}}}\n</tools>\n\n'
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> "
    'XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n'
)
GSM8K = 'system\nYou are Qwen.\nuser\nHow many apples? Let\'s think step by step and output the final answer after "####".\nassistant\n'

WEBSHOP_ITEM = (
    "\nYou are an expert autonomous agent operating in the WebShop e\u2011commerce environment.\n"
    "Your task is to: Find me machine wash men's t-shirts with short sleeve, color: heather grey, and price lower "
    "than 30.00 dollars.\n"
    "Prior to this step, you have already taken 2 step(s). Below are the most recent 2 observations and the "
    "corresponding actions you took: [Observation 1: 'Search', Action 1: 'search[men's t-shirt short sleeve]']\n"
    "[Observation 2: 'Back to Search' [SEP] 'Page 1 (Total results: 50)' [SEP] 'B09QQP3356', Action 2: 'click[b09qqp3356]']\n"
    "You are now at step 3 and your current observation is: 'Back to Search' [SEP] '< Prev' [SEP] 'color' [SEP] "
    "'navy' [SEP] 'black' [SEP] 'size' [SEP] 'medium' [SEP] 'x-large' [SEP] 'Men's Casual Tee Crew Neck Cotton' "
    "[SEP] 'Price: $15.99' [SEP] 'Rating: N.A.' [SEP] 'Description' [SEP] 'Features' [SEP] 'Buy Now'.\n"
    "Your admissible actions of the current situation are: \n[\n'click[back to search]',\n'click[< prev]',\n"
    "'click[navy]',\n'click[black]',\n'click[medium]',\n'click[x-large]',\n'click[description]',\n"
    "'click[features]',\n'click[buy now]',\n].\n\n"
    "Now it's your turn to take one action for the current step.\n"
)

#: The ALFWorld prompt with its list written the way ``str(list)`` writes it, on one line.
ALFWORLD_ONE_LINE = ALFWORLD.replace(
    "['go to fridge 1'\n 'take apple 1 from countertop 1'\n 'look']",
    "['go to fridge 1', 'take apple 1 from countertop 1', 'look']",
)

_RAY_PREFIX = re.compile(r"^\x1b\[36m\([A-Za-z]+ pid=\d+\)\x1b\[0m ", re.MULTILINE)


def logged_prompts(log: str) -> list[str]:
    """The prompts a verl-agent console log prints (``[text][prompt] …`` up to ``[text][response]``),
    with Ray's per-line ``(TaskRunner pid=N)`` prefix removed."""
    text = _RAY_PREFIX.sub("", log.replace("\r", ""))
    return re.findall(r"\[text\]\[prompt\] (.*?)\n\[text\]\[response\]", text, flags=re.DOTALL)
