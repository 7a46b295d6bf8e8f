"""Run one request in a built code dir, with only that dir and the stdlib on sys.path; print what loaded.

Usage (under the target Python, ``-I -S``): lean_probe.py CODE_DIR EVENT_FILE
A built-in runtime function gets ``initialize`` then ``handler(event, context)``; the chat Web function
is started as FC would (``server.py``'s app under uvicorn on a free port) and the HTTP event replayed.
Prints ``{"status", "modules"}``: the top-level names of every module loaded from CODE_DIR/python.
"""

import base64
import http.client
import importlib
import json
import os
import socket
import sys
import threading
import time

code, event_file = sys.argv[1], sys.argv[2]
sys.path[:0] = [os.path.join(code, "python"), code]
event = open(event_file, "rb").read()


class Meta:
    def __init__(self, **values):
        self.__dict__.update(values)


context = Meta(
    request_id="1-probe",
    region="cn-hangzhou",
    account_id="0",
    function=Meta(name="probe", handler="index.handler", memory=512, timeout=120),
    credentials=Meta(access_key_id="", access_key_secret="", security_token=""),
    service=Meta(name="probe", log_project="", log_store=""),
)


def run_event_function():
    module = importlib.import_module("index")
    if hasattr(module, "initialize"):
        module.initialize(context)
    result = module.handler(event, context)
    return result.get("statusCode", 200) if isinstance(result, dict) else 200


def run_web_function():
    from uvicorn.config import Config  # as server.py: not uvicorn's root (its CLI; lazy in a build)
    from uvicorn.server import Server

    server_module = importlib.import_module("server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Server(
        Config(server_module.create_app, factory=True, host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    data = json.loads(event)
    body = base64.b64decode(data["body"]) if data.get("isBase64Encoded") else data["body"].encode()
    headers = {k: v for k, v in data["headers"].items() if k.lower() != "host"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(data["requestContext"]["http"]["method"], data["rawPath"], body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    server.should_exit = True
    return response.status if "event: done" in text or response.status != 200 else 599


status = run_web_function() if os.path.exists(os.path.join(code, "server.py")) else run_event_function()
base = os.path.realpath(os.path.join(code, "python")) + os.sep
names = {
    name.split(".")[0]
    for name, module in list(sys.modules.items())
    if os.path.realpath(getattr(module, "__file__", None) or "/").startswith(base)
}
print(json.dumps({"status": status, "modules": sorted(names)}))
