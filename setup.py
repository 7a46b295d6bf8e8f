"""Only what pyproject.toml cannot say: a wheel carries the console's JS client from its one source.

``clients/js/src`` is the JS client the miniprogram and the console share. The checkout holds it
once; a wheel (like ``bailian-fc build``) copies it into ``bailian_fc/admin/ui/client/``, where the
console serves it from an installed package.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

JS_CLIENT = Path(__file__).resolve().parent / "clients" / "js" / "src"


class BuildPyWithJsClient(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bailian_fc" / "admin" / "ui" / "client"
        target.mkdir(parents=True, exist_ok=True)
        for module in sorted(JS_CLIENT.glob("*.js")):
            shutil.copy2(module, target / module.name)


setup(cmdclass={"build_py": BuildPyWithJsClient})
