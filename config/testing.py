"""Settings for the pytest suite."""

TESTING = True
CAREER_CREDIT_ENV = "testing"
DYNREG_ALLOW_PRIVATE_HOSTS = True  # the test platforms live on 127.0.0.1
SECRET_KEY = "testing-only-not-a-secret"  # noqa: S105 - the test suite's throwaway key
SERVER_NAME = None
LTI_PLATFORM_JWKS_LIFETIME_S = 3600
JOB_RUNNER = "off"  # tests drive the outbox explicitly
LTI_PLATFORM_JWKS_REFETCH_MIN_S = 0.0  # tests rotate platform keys back to back
ENCRYPTION_KEYS = (
    "jN8x5VjH4lT0lQmH2J6H8w3nS4b5r7Y2a9c1d3e5f7g="  # the test suite's throwaway Fernet key
)
# The whole suite launches from 127.0.0.1; tests of the limits set low ones themselves.
RATELIMIT_LTI = "100000 per minute"
RATELIMIT_LTI_PERSON = "100000 per minute"
RATELIMIT_REGISTRATION = "100000 per minute"
