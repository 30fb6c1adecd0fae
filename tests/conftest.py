import os
import signal

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The Ctrl-C tests send SIGINT to child processes, which inherit how it is
# handled. A suite started in the background by a script (`cmd &`, nohup) has
# SIGINT ignored, and Python leaves an ignored SIGINT ignored, so no child
# would ever see it. Python's own handler here is the default again in them.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
