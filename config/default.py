"""Defaults for every environment; the environment overrides them (prefix ``CAREER_CREDIT_``).

``DATABASE_URL``, ``SECRET_KEY`` and ``CAREER_CREDIT_ENV`` are read without the prefix because
that is what hosting platforms and operators expect.

Every setting the code reads is defined here, with its default: the code reads
``config["NAME"]`` and never defaults a setting where it reads it
(``tests/lti_tool/test_settings_defined.py``). A setting given an empty value (an environment
variable set to "") or None takes its default from here unless that default is None.
"""

# "production", "development" (``make run``) or "testing" (the test suite's config). Not set
# anywhere (environment, settings module, overrides): production, with every check that brings.
CAREER_CREDIT_ENV = None

# The database; None means a SQLite file under instance/ (set by the app factory).
SQLALCHEMY_DATABASE_URI = None
# On PostgreSQL the app factory adds pool_use_lifo: a worker's requests reuse the connection
# it used last, whose prepared statements (psycopg prepares a statement run five times) are
# still there.
SQLALCHEMY_ENGINE_OPTIONS: dict = {}
# A pooled connection to a database server (not SQLite) idle this many seconds or more is
# pinged before use, and replaced when the ping finds it closed (a restart, a failover, a
# proxy's idle timeout); one in use a moment ago is not (``lti_tool.db_ping``). 0 pings on
# every checkout, as SQLAlchemy's pool_pre_ping does.
DATABASE_PING_AFTER_IDLE_S = 1.0
SQLITE_BUSY_TIMEOUT_MS = 5000
# SQLite's page cache of each connection, in KiB (SQLite's default is 2,000). Several workers
# write the file, and a connection's cache is emptied whenever another wrote since its last
# transaction: a larger cache saves little and stays allocated in every pooled connection
# (2 MB each made a four-worker soak's memory grow 59 MB in two minutes, 26 MB with 256 KiB).
SQLITE_CACHE_KIB = 512
# PostgreSQL: plan_cache_mode of the tool's connections (set once a connection; "" = the
# server's). The page statements look up rows by id through indexes whatever the values, and
# with "auto" the server planned them again on every run (about 1 ms each for the larger ones,
# most of its CPU per page); with a generic plan a prepared statement is planned once per
# connection. Reports and board searches, whose best plan depends on the values, switch their
# transaction back to "auto" (``set_config(..., true)`` with their other settings).
POSTGRESQL_PLAN_CACHE_MODE = "force_generic_plan"

# Cookies: the tool lives inside an LMS iframe on another site.
SESSION_COOKIE_NAME = "cc_session"
SESSION_COOKIE_SAMESITE = "None"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = 8 * 3600
# The cookie keeps the launch id, which expires LTI_LAUNCH_LIFETIME_S after the launch whatever
# the cookie says: sending the cookie again on every response would extend nothing.
SESSION_REFRESH_EACH_REQUEST = False

WTF_CSRF_TIME_LIMIT = 8 * 3600
WTF_CSRF_SSL_STRICT = False  # the Referer is stripped by Referrer-Policy inside LMS frames

# LTI
LTI_LAUNCH_LIFETIME_S = 8 * 3600  # how long a launch id (URL or cookie) stays valid
LTI_STATE_LIFETIME_S = 600  # OIDC state/nonce: a login must finish within ten minutes
# Where OIDC state lives: empty = the database; or a Redis URL (redis://127.0.0.1:6379/0).
LTI_STATE_REDIS_URL = ""
LTI_PLATFORM_JWKS_LIFETIME_S = 3600
LTI_PLATFORM_JWKS_REFETCH_MIN_S = 5.0  # an unknown kid re-fetches at most this often per URL
LTI_KEY_GRACE_PERIOD_S = 24 * 3600
HTTP_TIMEOUT_S = 10.0  # every outbound HTTP call (platforms, Canvas/Moodle, URL checks)

# Secrets at rest (connector credentials, platform keys): one or more Fernet keys, newest first
# ("," between them). Empty: development keeps one under instance/; production refuses to start.
ENCRYPTION_KEYS = ""

# The sandbox LMS (/sandbox) is for development and demos; production turns it off.
SANDBOX_ENABLED = True
# Where the sandbox tells the browser the tool lives; a different host than the sandbox so that
# the iframe is cross-site like in a real LMS.
SANDBOX_TOOL_URL = "http://127.0.0.1:5000"
SANDBOX_PLATFORM_URL = "http://localhost:5000"

# The tool's public base URL (https://careercredit.example.edu), for links made outside a
# request (the CLI's registration invitations).
PUBLIC_URL = ""
# Dynamic Registration fetches platform URLs; private/loopback/link-local hosts are refused
# unless allowed (None = allowed in development only).
DYNREG_ALLOW_PRIVATE_HOSTS = None
# Other outbound calls to platform hosts (LMS connections); None = as
# DYNREG_ALLOW_PRIVATE_HOSTS.
OUTBOUND_ALLOW_PRIVATE_HOSTS = None

# Background jobs (outbox delivery): "thread" (one in-process runner per process, started on
# the first request), "celery" (celery -A lti_tool.celery_app worker / beat), or "off".
JOB_RUNNER = "thread"
JOB_RUNNER_INTERVAL_S = 2.0
# A runner pass starts at most this often: a burst of enqueues (awards in a busy hour) is
# drained together, one grade at a time after a quiet moment still goes at once.
JOB_RUNNER_MIN_GAP_S = 1.0
JOB_SENDERS = 4  # sender threads per drain
# Work started by a request (imports, exports) runs on a thread pool of this many threads.
WORK_POOL_WORKERS = 4
JOBS_PER_USER = 2  # imports and exports one person may have queued or running at once
REPORTS_AT_ONCE = 4  # PDF reports made at once per process (more: 503, try again)
REPORTS_PER_USER = 1  # PDF reports one person may have in the making at once (more: 429)
EVIDENCE_SYNC_INTERVAL_S = 60.0  # the job runner derives supervisor evidence this often
CREDENTIALS_ISSUE_INTERVAL_S = 60.0  # the job runner issues missing credentials this often
PAY_OVERDUE_EVERY_S = 600.0  # the job runner notices overdue payments this often
# The advisor's employer figures are kept and shown with their age; a view of older ones hands
# working them out again to the work pool.
EMPLOYER_FIGURES_MAX_AGE_S = 900
# The advisor home's counts, engagements per state and students at risk are worked out for each
# view below this many engagements in the institution (a few ms); from it on (exact counts of
# millions of rows take most of a second) they are kept per term, shown with their age, and a
# view of ones older than ADVISOR_HOME_MAX_AGE_S hands working them out again to the work pool.
ADVISOR_HOME_KEEP_FROM = 200_000
ADVISOR_HOME_MAX_AGE_S = 300
REMINDERS_INTERVAL_S = 300.0  # the job runner sends the workspace's due reminders this often
# The course roster read from the LMS (NRPS) is kept per course and pages show it with its age;
# a page that finds it older than this hands a new read to the work pool (never waits for it).
ROSTER_MAX_AGE_S = 3600

# The command line writes the tracebacks of failed commands here; empty = instance/logs/.
CLI_ERROR_LOG = ""

# ProxyFix: trust this many proxy hops (production sets 1).
PROXY_HOPS = 0

# Rate limits per client address (Flask-Limiter syntax, ";" between limits). Storage: empty =
# LTI_STATE_REDIS_URL when set, else process memory; production sets redis://… so every
# worker shares the counters.
RATELIMIT_STORAGE_URI = ""
# /lti/login, /lti/launch, /lti/jwks per client address: a ceiling, not a throttle — a whole
# lecture hall opens the tool through one campus NAT address in the same minute (500 students are
# ~1,500 requests). Each person is limited on their own (RATELIMIT_LTI_PERSON).
RATELIMIT_LTI = "20000 per minute"
# /lti/login and the launch POST per platform and user (the issuer and login_hint the login
# names, the issuer and sub of the launch's token): one person reopening the tool in a loop.
RATELIMIT_LTI_PERSON = "120 per minute;2000 per hour"
RATELIMIT_REGISTRATION = "30 per minute;300 per day"  # Dynamic Registration, install pages
RATELIMIT_PUBLIC = "60 per minute;600 per day"  # supervisor links, employer forms
SUPERVISOR_RATE_LIMIT = ""  # the older name of RATELIMIT_PUBLIC; overrides it when set
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in process memory, not fail

# Operations: /metrics answers only when enabled, and only a bearer token of at least 24
# characters (METRICS_TOKEN); /readyz gives each dependency this long to answer; the probes'
# successful requests stay out of the access log unless OPS_LOG_PROBES.
METRICS_ENABLED = False
METRICS_TOKEN = ""
READYZ_TIMEOUT_S = 2.0
OPS_LOG_PROBES = False

# Mail: with no SMTP host, messages stay in the development outbox (the sandbox shows them).
MAIL_SMTP_HOST = ""
MAIL_SMTP_PORT = 587
MAIL_SMTP_STARTTLS = True  # "false", "no" or "0" to talk plain SMTP
MAIL_SMTP_USERNAME = ""  # empty: no login
MAIL_SMTP_PASSWORD = ""
MAIL_SMTP_TIMEOUT_S = None  # None: HTTP_TIMEOUT_S
MAIL_FROM = "Career Credit <no-reply@localhost>"

# Supervisor links (signed, no launch) stay valid this many days.
SUPERVISOR_LINK_MAX_AGE_DAYS = 14
EMPLOYER_LINK_MAX_AGE_DAYS = 30  # an employer contact's link to their own page lasts this long
# Listing imports of at most this many rows run during the request; longer ones in the
# background with a progress page.
IMPORT_INLINE_MAX_ROWS = 200

# Attainment exports: where the zips are written (empty = instance/exports), how long they are
# kept (days; never longer than the tenant's file retention), and PostgreSQL's work_mem for
# the report queries (instead of the server's 4MB default that makes them spill to disk).
ATTAINMENT_EXPORT_DIR = ""
ATTAINMENT_EXPORT_DAYS = 30
ATTAINMENT_WORK_MEM = "128MB"
# PostgreSQL: the attainment and trend reports run their per-outcome statements on this many
# connections at once, all reading one snapshot (1 runs them one after another).
ATTAINMENT_PARALLEL = 2

# Retention (per tenant in tenant.settings["retention"]; these are the defaults): uploaded files
# are deleted this many days after the engagement ends; audit entries after this many days.
RETENTION_FILES_DAYS = 365
RETENTION_AUDIT_DAYS = 2555
# How often the in-process job runner applies retention (Celery beat: the same interval).
MAINTENANCE_INTERVAL_S = 3600

# Request size. Uploads have their own limits (deliverables 20 MB: DELIVERABLE_MAX_BYTES;
# résumés 5 MB: RESUME_MAX_BYTES; listing and profile imports 5 MB; CASE packages 20 MB); the
# whole request may be a little larger than the largest of them (form fields, multipart
# framing) and no more: a larger declared body is refused with 413 before it is read.
MAX_CONTENT_LENGTH = 21 * 1024 * 1024
MAX_FORM_MEMORY_SIZE = 1_000_000  # one non-file field (an id_token, a long list of ids)
MAX_FORM_PARTS = 1000
RESUME_MAX_BYTES = 5 * 1024 * 1024  # a résumé (PDF)
DELIVERABLE_MAX_BYTES = 20 * 1024 * 1024  # a deliverable file
UPLOADS_DIR = ""  # where uploaded files are stored; empty = instance/uploads

# Virus scanning of uploads by ClamAV's clamd: a Unix socket path, or a host (and port).
# Neither set: uploads are not scanned. Set but not answering: uploads are refused.
CLAMAV_SOCKET = ""
CLAMAV_HOST = ""
CLAMAV_PORT = 3310
CLAMAV_TIMEOUT_S = 30.0
# Production refuses to start without a scanner unless the operator opts out explicitly (the
# administration page then says uploads are not scanned).
VIRUS_SCAN_OPT_OUT = False
