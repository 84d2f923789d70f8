"""gunicorn settings: ``gunicorn -c config/gunicorn.conf.py 'lti_tool:create_app()'``.

The access log records the path without its query string, so launch ids and tokens that
travel in URLs never reach it; the app (``lti_tool.web``) redacts the capability in a signed
link's path (/supervisor/hours/[redacted]) and escapes control characters in every log line.
"""

import os

bind = os.environ.get("CAREER_CREDIT_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CAREER_CREDIT_WORKERS", "4"))
timeout = 30
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
