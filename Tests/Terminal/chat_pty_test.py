"""`llmrun chat` in a real pseudo-terminal: streamed answers, Ctrl-C in the middle of a long answer,
commands, multi-line input, Ctrl-D. Run by `make test` (pexpect comes from the venv `make` creates):

    .venv/bin/python Tests/Terminal/chat_pty_test.py .build/release/llmrun [MODEL]
"""
import sys

import pexpect

PROMPT = ">>> "


def main() -> int:
    binary = sys.argv[1]
    model = sys.argv[2] if len(sys.argv) > 2 else "qwen2.5-0.5b"
    child = pexpect.spawn(binary, ["chat", "-m", model, "-c", "2048"], encoding="utf-8", timeout=240,
                          dimensions=(50, 200))
    child.logfile_read = sys.stdout
    child.expect_exact(PROMPT)

    # A first exchange, kept in the history.
    child.sendline("What is the capital of France? Answer with one word.")
    child.expect("Paris")
    child.expect_exact(PROMPT)

    # A long answer, interrupted once it is streaming: back to the prompt, nothing kept.
    child.sendline("Count from 1 to 300, one number per line, with no other text.")
    child.expect(r"\b12\b")
    child.sendintr()
    child.expect_exact("(stopped; this exchange is not kept)")
    child.expect_exact(PROMPT)
    child.sendline("/stats")
    child.expect(r"turns: 1 kept, 0 dropped")
    child.expect_exact(PROMPT)

    # The chat goes on after the interruption, with a message of several lines.
    child.sendline('"""')
    child.expect_exact("... ")
    child.sendline("Reply with the single word")
    child.expect_exact("... ")
    child.sendline("pineapple")
    child.expect_exact("... ")
    child.sendline('"""')
    child.expect_exact('"""')  # the echo of the closing line
    child.expect("(?i)pineapple")
    child.expect_exact(PROMPT)
    child.sendline("/stats")
    child.expect(r"turns: 2 kept")
    child.expect_exact(PROMPT)

    child.sendline("/frobnicate")
    child.expect_exact("unknown command /frobnicate")
    child.expect_exact(PROMPT)
    child.sendline("/reset")
    child.expect_exact("conversation cleared")
    child.expect_exact(PROMPT)

    # Ctrl-D quits cleanly.
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    if child.exitstatus != 0:
        print(f"\nchat exited with status {child.exitstatus}", file=sys.stderr)
        return 1
    print("\nchat pseudo-terminal test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
