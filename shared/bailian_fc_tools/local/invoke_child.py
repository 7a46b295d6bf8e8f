"""The script ``bailian-fc invoke`` runs in a fresh interpreter to call one built-in runtime handler."""

# Runs in the fresh interpreter: stdlib only, so it imports nothing the function would not.
CHILD = r"""
import importlib, json, sys, time, traceback
spec = json.loads(sys.argv[1])
sys.path[:0] = spec["paths"]

class Meta:
    def __init__(self, **values):
        self.__dict__.update(values)
    def __repr__(self):
        return f"{type(self).__name__}({self.__dict__!r})"

FCContext, FunctionMeta, Credentials, ServiceMeta = (
    type(n, (Meta,), {}) for n in ("FCContext", "FunctionMeta", "Credentials", "ServiceMeta"))

c = spec["context"]
context = FCContext(request_id=c["request_id"], region=c["region"], account_id=c["account_id"],
                    function=FunctionMeta(**c["function"]), credentials=Credentials(**c["credentials"]),
                    service=ServiceMeta(**c["service"]))

def call(ref):
    module, _, attr = ref.rpartition(".")
    return getattr(importlib.import_module(module), attr)

out = {"phase": "import"}
try:
    with open(spec["event_file"], "rb") as fh:
        event = fh.read()
    if spec["initializer"]:
        out["phase"] = "import"
        fn = call(spec["initializer"])
        out["phase"] = "initialize"
        fn(context)
    out["phase"] = "import"
    fn = call(spec["handler"])
    out["phase"] = "handler"
    result = fn(event, context)
    if isinstance(result, (bytes, bytearray)):
        out["result"] = {"bytes": __import__("base64").b64encode(result).decode()}
    elif result is None or isinstance(result, str):
        out["result"] = {"text": result}
    else:
        out["result"] = {"json": json.loads(json.dumps(result))}
    out["ok"] = True
except Exception as exc:
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith("<") and "/importlib/" not in f.filename]
    out["ok"] = False
    out["error"] = {"errorMessage": str(exc), "errorType": type(exc).__name__,
                    "stackTrace": [[f'File "{f.filename}"', f"line {f.lineno}", f"in {f.name}", f.line or ""]
                                   for f in frames]}
out["done_at"] = time.time()
out["modules"] = sorted(m for m in spec["watch"] if m in sys.modules)
with open(spec["result_file"], "w") as fh:
    json.dump(out, fh)
"""
