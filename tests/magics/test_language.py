"""The magics speak the kernel's language: Simplified Chinese from the locale or ``%config``.

One real kernel started with ``LANG=zh_CN.UTF-8``, as a Chinese JupyterHub image
sets it: help pages (``%name?``) and usage errors read Chinese from ``%load_ext`` on;
``%config InfraiMagics.language`` switches to English and back, and refuses a
language the package does not speak without changing the one in use.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .kernel import CellRun, Kernel, start_kernel

CHINESE_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    with start_kernel(CHINESE_LOCALE) as kernel:
        run = kernel.run("%load_ext infrai_jupyter")
        assert not run.failed, run.reply
        yield kernel


def failure(run: CellRun) -> str:
    """The one-line error a failing cell shows (its exception name and message)."""
    assert run.failed, f"{run.code!r} did not fail"
    return f"{run.reply['ename']}: {run.reply['evalue']}"


def test_the_kernel_locale_makes_help_chinese(kernel: Kernel) -> None:
    page = kernel.run("%infrai_activate?").help_page()
    assert "创建一个带试用额度的匿名账户" in page
    assert "选项" in page
    assert "激活所在的区域" in page  # --region's help
    assert "--region" in page and "%infrai_activate --sandbox" in page
    assert "Create an anonymous account" not in page


def test_a_magic_without_arguments_has_chinese_help_too(kernel: Kernel) -> None:
    assert "列出账户的项目密钥" in kernel.run("%infrai_keys?").help_page()


def test_usage_errors_are_chinese(kernel: Kernel) -> None:
    assert failure(kernel.run("%infrai_keys now")) == "UsageError: %infrai_keys 不接受参数"


def test_config_switches_to_english_and_back(kernel: Kernel) -> None:
    assert not kernel.run('%config InfraiMagics.language = "en"').failed
    page = kernel.run("%infrai_activate?").help_page()
    assert "Create an anonymous account with trial credit" in page
    assert "options:" in page and "选项" not in page
    assert failure(kernel.run("%infrai_keys now")) == "UsageError: %infrai_keys takes no arguments"

    assert not kernel.run('%config InfraiMagics.language = "zh-CN"').failed
    assert "创建一个带试用额度的匿名账户" in kernel.run("%infrai_activate?").help_page()


def test_an_unknown_language_is_refused_and_the_current_one_kept(kernel: Kernel) -> None:
    run = kernel.run('%config InfraiMagics.language = "klingon"')
    # %config reports a refused value on stderr rather than failing the cell.
    assert "'klingon' 不是 infrai_jupyter 支持的语言" in run.stderr
    assert "'en' 或 'zh-CN'" in run.stderr
    assert failure(kernel.run("%infrai_keys now")) == "UsageError: %infrai_keys 不接受参数"


def test_an_empty_language_follows_the_locale_again(kernel: Kernel) -> None:
    assert not kernel.run('%config InfraiMagics.language = "en"').failed
    assert not kernel.run('%config InfraiMagics.language = ""').failed
    assert "列出账户的项目密钥" in kernel.run("%infrai_keys?").help_page()


def test_config_help_lists_the_settings_in_chinese(kernel: Kernel) -> None:
    run = kernel.run("%config InfraiMagics")
    assert not run.failed, run.reply
    assert "InfraiMagics.timeout" in run.stdout  # the names stay what %config takes
    assert "等待 API 应答的秒数" in run.stdout
    assert "卡片、表单和帮助使用的语言" in run.stdout
    assert "Seconds to wait for the API" not in run.stdout
