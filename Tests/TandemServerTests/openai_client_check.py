"""Drives a running `tandem serve` with the official `openai` package; prints one JSON object.

Usage: python3 openai_client_check.py BASE_URL API_KEY MODEL
Exits non-zero (with the reason) when the package cannot talk to the server.
"""
import json
import sys

from openai import OpenAI

base, key, model = sys.argv[1], sys.argv[2], sys.argv[3]
client = OpenAI(base_url=base, api_key=key, max_retries=0, timeout=300)
messages = [{"role": "user", "content": "Write a Python function that adds two numbers."}]
out = {}

models = client.models.list()
out["models"] = [m.id for m in models.data]

chat = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0)
out["chat_text"] = chat.choices[0].message.content
out["chat_finish"] = chat.choices[0].finish_reason
out["chat_usage"] = [chat.usage.prompt_tokens, chat.usage.completion_tokens, chat.usage.total_tokens]

pieces, usage, finishes = [], None, []
stream = client.chat.completions.create(model=model, messages=messages, max_tokens=24, temperature=0, stream=True,
                                        stream_options={"include_usage": True})
for chunk in stream:
    if chunk.usage is not None:
        usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens, chunk.usage.total_tokens]
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
        if choice.finish_reason:
            finishes.append(choice.finish_reason)
out["stream_text"] = "".join(pieces)
out["stream_usage"] = usage
out["stream_finishes"] = finishes

completion = client.completions.create(model=model, prompt="def add(a, b):", max_tokens=8, temperature=0,
                                       logprobs=2, extra_body={"prompt_logprobs": 1})
choice = completion.choices[0]
extra = choice.model_extra or {}
out["completion_text"] = choice.text
out["completion_logprob_tokens"] = len(choice.logprobs.tokens)
out["prompt_logprobs"] = extra.get("prompt_logprobs")

ids = [755, 912, 2877, 11, 293, 982]
scored = client.completions.create(model=model, prompt=ids, max_tokens=1, temperature=0, extra_body={"prompt_logprobs": 3})
out["ids_prompt_logprobs"] = (scored.choices[0].model_extra or {}).get("prompt_logprobs")
out["ids_usage"] = [scored.usage.prompt_tokens, scored.usage.completion_tokens]

text_stream = client.completions.create(model=model, prompt="def add(a, b):", max_tokens=8, temperature=0, stream=True)
out["completion_stream_text"] = "".join(c.choices[0].text for c in text_stream if c.choices)
print(json.dumps(out))
