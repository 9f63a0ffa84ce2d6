"""A small OpenAI-compatible chat server for tests, run for real on 127.0.0.1.

It is the test's peer, not a stand-in for our code: the tutor talks to it through the
official ``openai`` client over HTTP. Each request pops the next scripted behaviour:
``ok`` (a valid structured reply), ``bad_json``, ``schema`` (JSON of the wrong shape),
``fenced`` (valid JSON in a Markdown fence), ``slow`` (answers after ``slow_seconds``),
``500``. With an empty script it answers ``ok``. Requests are recorded.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
        "model": "test-tutor",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class ChatServer:
    def __init__(self, slow_seconds: float = 3.0) -> None:
        self.script: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.slow_seconds = slow_seconds
        self.app = FastAPI()
        self.app.post("/v1/chat/completions")(self._chat)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply_for(self, body: dict[str, Any]) -> dict[str, Any]:
        learner = body["messages"][-1]["content"]
        return {"reply": f"LLM heard: {learner[:40]}", "correction": "Say it like this.",
                "explanation": "A scripted explanation.", "follow_up": "What else?",
                "done": False}

    async def _chat(self, request: Request):
        import asyncio

        body = await request.json()
        self.requests.append(body)
        what = self.script.popleft() if self.script else "ok"
        if what == "500":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        if what == "slow":
            await asyncio.sleep(self.slow_seconds)
        content = {
            "bad_json": "Sure! Here is my answer: {reply: oops",
            "schema": json.dumps({"answer": "wrong field names"}),
            "fenced": "```json\n" + json.dumps(self.reply_for(body)) + "\n```",
        }.get(what, json.dumps(self.reply_for(body)))
        return _completion(content)

    def __enter__(self) -> ChatServer:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("test LLM server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
