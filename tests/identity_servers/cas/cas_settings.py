"""A throwaway django-cas-server for the sign-in tests (run by serve.py on loopback).

Its users and the attributes it releases are in ``accounts.USERS``; its database is a SQLite file
in the folder named by ``CAS_TEST_DIR``."""

import os
from pathlib import Path

BASE = Path(os.environ.get("CAS_TEST_DIR", "/tmp"))
SECRET_KEY = "test-only-cas-server-key"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
                  "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles", "cas_server"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware", "django.middleware.locale.LocaleMiddleware",
              "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
ROOT_URLCONF = "cas_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
              "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                 "django.contrib.auth.context_processors.auth",
                                                 "django.contrib.messages.context_processors.messages"]}}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE / "cas.sqlite")}}
STATIC_URL = "/static/"
USE_TZ = True
CAS_AUTH_CLASS = "accounts.TestUsers"
CAS_SHOW_POWERED = False
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
# No stylesheets or scripts from the internet: the tests run offline.
CAS_COMPONENT_URLS = {"bootstrap3_css": "", "bootstrap3_js": "", "bootstrap4_css": "", "bootstrap4_js": "",
                      "html5shiv": "", "respond": "", "jquery": ""}
CAS_SLO_TIMEOUT = 3
