"""Children that take Ctrl-C as a terminal's foreground job does."""

import signal


def default_sigint() -> None:
    """`preexec_fn`: SIGINT at its default and unblocked in the child. A signal a process ignores stays
    ignored across exec, so a child of a test worker that inherited an ignored SIGINT (seen once in CI
    under pytest-xdist, both Ctrl-C tests at once) would never see the test's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
