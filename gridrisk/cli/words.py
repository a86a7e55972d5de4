"""The command's language: help and messages in Chinese, in English when GRIDRISK_LANG=en.

This is the variable `gridrisk.settings.Settings.lang` reads (its name in any case, as
pydantic-settings matches it), read here straight from the environment: importing the
settings costs every `gridrisk --help` a sixth of a second of pydantic."""

import os

#: "en" when GRIDRISK_LANG=en, else "zh" (the settings' default)
LANG = "en" if next((value for name, value in os.environ.items()
                     if name.upper() == "GRIDRISK_LANG"), "zh") == "en" else "zh"


def say(zh: str, en: str) -> str:
    """The text in the command's language."""
    return en if LANG == "en" else zh
