"""Run the test CAS server: python serve.py PORT SERVICE_PATTERN (a regular expression of the
service addresses it accepts; single logout is sent to them)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cas_settings")

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402

port, pattern = sys.argv[1], sys.argv[2]
django.setup()
call_command("migrate", verbosity=0, interactive=False)
from cas_server.models import ReplaceAttributName, ServicePattern  # noqa: E402

service = ServicePattern.objects.create(pos=1, name="library-engage", pattern=pattern, single_log_out=True)
ReplaceAttributName.objects.create(name="*", service_pattern=service)
print(f"cas server on 127.0.0.1:{port}", flush=True)
call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, skip_checks=True)
