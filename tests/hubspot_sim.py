#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""hubspot-sim: a faithful, single-file HubSpot simulator for JetStack AI "Client Accounts" tests.

Standard library only (Python 3.11, Debian's /usr/bin/python3). Listens on 127.0.0.1 only.

    /usr/bin/python3 tests/hubspot_sim.py --port 0 --port-file var/sim.port --pid-file var/sim.pid \
        --client-id ID --client-secret SECRET --seed demo --latency-ms 0

When ready it prints exactly one line on stdout:  hubspot-sim listening on http://127.0.0.1:PORT
SIGTERM / SIGINT stop it cleanly (exit status 0; the port and pid files it wrote are removed).

The server root is both HUBSPOT_AUTHORIZE_URL's host (authorize page at /oauth/authorize) and
HUBSPOT_API_BASE (token, introspect, revoke, settings users, CRM properties).  Test controls live under /_sim/ and
are NOT HubSpot endpoints.

CRM properties API (2026-03), Bearer, {objectType} = contacts|companies|deals|tickets or 0-1|0-2|0-3|0-5:
    GET    /crm/properties/2026-03/{objectType}[?archived=true]          200 {"results":[Property]}
    POST   /crm/properties/2026-03/{objectType}                          201 Property | 400 | 409
    GET    /crm/properties/2026-03/{objectType}/{name}[?archived=true]   200 Property | 404
    PATCH  /crm/properties/2026-03/{objectType}/{name}                   200 Property | 400 | 404
    DELETE /crm/properties/2026-03/{objectType}/{name}                   204 (archive) | 400 | 404
    POST   /crm/properties/2026-03/{objectType}/batch/create             201 | 207 (errors) | 400
    POST   /crm/properties/2026-03/{objectType}/batch/read               200 | 207 (errors) | 400
    POST   /crm/properties/2026-03/{objectType}/batch/archive            204
    GET    /crm/properties/2026-03/{objectType}/groups                   200 {"results":[PropertyGroup]}
    POST   /crm/properties/2026-03/{objectType}/groups                   201 PropertyGroup | 400 | 409
    GET|PATCH|DELETE /crm/properties/2026-03/{objectType}/groups/{name}  200 | 200 | 204, or 400 / 404
Controls: POST/GET/DELETE /_sim/portals/{hub}/properties, POST /_sim/portals/{hub}/properties/generate,
DELETE /_sim/portals/{hub}/properties/{objectType}/{name}, DELETE /_sim/portals/{hub}/properties/{objectType}/groups/
{name}, DELETE /_sim/rate_limits; /_sim/config takes burst_limit and burst_window_ms; /_sim/faults takes endpoint
"properties" (every CRM properties path but .../groups[/...]) or "groups"; /_sim/stats adds rate_limited and
api_calls_by_hub, and in_flight_max: by endpoint ("*": all of them together), the most calls inside their
latency at once (in_flight: how many are now).

HubSpot documentation followed (title -- URL)
----------------------------------------------
* Manage OAuth access tokens with the 2026-03 API -- https://developers.hubspot.com/docs/api-reference/2026-03/authentication/manage-oauth-tokens
  (code single-use, access token = Bearer, 30-minute lifetime, all parameters form-encoded in the body)
* OAuth token endpoint / Refresh an access token (2026-03) -- https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/refresh-oauth-token
* Token introspection endpoint (2026-03) -- https://developers.hubspot.com/docs/api-reference/2026-03/authentication/oauth-tokens/token-introspect
  (and https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/token-introspect)
* Revoke an OAuth token ("Deletes/Revokes provided Refresh Token") -- https://developers.hubspot.com/docs/api-reference/latest/authentication/oauth-tokens/revoke-token
* Migrate from the v1 OAuth API (sunset 2027-02-16) -- https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/migration-guide
* Changelog: New OAuth v3 API endpoints and standardized error responses (error/error_description added,
  status/message kept) -- https://developers.hubspot.com/changelog/new-oauth-v3-api-endpoints-and-standardized-error-responses
* Legacy v1 OAuth guide, Refresh OAuth 2.0 access token, Delete OAuth 2.0 Refresh Token, Refresh token
  metadata -- https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide ,
  https://legacydocs.hubspot.com/docs/methods/oauth2/refresh-access-token ,
  https://developers.hubspot.com/docs/methods/oauth2/delete-refresh-token ,
  https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/get-refresh-token-metadata
* Settings API | User provisioning (scopes: settings.users.read / settings.users.write ..., idProperty=EMAIL)
  -- https://developers.hubspot.com/docs/api-reference/latest/account/settings/user-provisioning/guide
* Retrieves a user (2026-03): id/email/roleId/roleIds/primaryTeamId/secondaryTeamIds/superAdmin, ids are STRINGS
  -- https://developers.hubspot.com/docs/api-reference/2026-03/account/settings/user-provisioning/users/get-user
* Retrieves users (2026-03) -- https://developers.hubspot.com/docs/api-reference/latest/account/settings/user-provisioning/users/get-users
* Retrieves the roles on an account (2026-03): {"results":[{"id","name","requiresBillingWrite"}]}
  -- https://developers.hubspot.com/docs/api-reference/latest/account/settings/user-provisioning/roles/get-roles
* API usage guidelines and limits (429 body: status/message/errorType RATE_LIMIT/correlationId/policyName)
  -- https://developers.hubspot.com/docs/api/usage-details
* API usage guidelines and limits (public apps using OAuth: "each HubSpot account that installs your app is limited
  to 110 requests every 10 seconds", excluding the CRM Search API; headers X-HubSpot-RateLimit-Max / -Remaining /
  -Interval-Milliseconds, the -Daily headers "not included in the response to API requests authorized using OAuth";
  "Batch operations are limited to 100 records at a time"; "The message and policyName will indicate which limit
  you hit") -- https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
* Changelog: Rate limit headers will now appear for OAuth authenticated calls (no Daily headers for OAuth)
  -- https://developers.hubspot.com/changelog/rate-limit-headers-will-now-appear-for-oauth-authenticated-calls
* Read all properties (2026-03) -- https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/get-properties
  (and .../latest/crm/properties/get-properties: the Property fields, modificationMetadata, hubspotDefined)
* Create a property group / Read a property group (2026-03)
  -- https://developers.hubspot.com/docs/api-reference/latest/crm/properties/property-groups/create-property ,
  https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/property-groups/get-property
* Create a batch of properties (2026-03)
  -- https://developers.hubspot.com/docs/api-reference/2026-03/crm/properties/batch/create-properties
* HubSpot's OpenAPI spec of the 2026-03 properties API (paths, 201/207 answers, PropertyCreate / PropertyUpdate /
  OptionInput / BatchReadInputPropertyName required fields, StandardError, the per-operation scope lists):
  HubSpot/HubSpot-public-api-spec-collection PublicApiSpecs/CRM/Properties/Rollouts/145899/2026-03/properties.json
* CRM API | Properties guide (type / fieldType table, required create fields, "up to ten unique ID properties per
  object", calculation properties) -- https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide
  (same text: https://developers.hubspot.com/docs/api/crm/properties)
* Understanding the CRM (object type ids 0-1 contacts, 0-2 companies, 0-3 deals, 0-5 tickets, usable in place of
  the name: "POST request to /crm/v3/properties/{objectTypeId}")
  -- https://developers.hubspot.com/docs/api/crm/understanding-the-crm
* Legacy property docs: 409 Conflict when a property / property group with that name exists; group names "use only
  lowercase letters, numbers, and underscores" -- https://legacydocs.hubspot.com/docs/methods/contacts/v2/create_contacts_property ,
  https://developers.hubspot.com/docs/methods/contacts/v2/create_contacts_property_group
* "Unable to infer object type from: X" (400, no category) and the batch-input-limit wording ("The maximum number of
  inputs supported in a batch request ... Please reduce the number of items and try again") as HubSpot sends them:
  public threads (PipedreamHQ/pipedream#8462) and client code quoting HubSpot answers.
* HubSpot's generated SDK models (field names and types of the 2026-03 OAuth answers):
  HubSpot/hubspot-sdk-python src/hubspot_sdk/types/auth/{access_token_response,public_access_token_info_response,
  public_refresh_token_info_response,token_info_response_base_if}.py
* Error bodies as HubSpot sends them (public issue threads): MISSING_SCOPES (HubSpot/hubspot-api-nodejs#268,#50),
  INVALID_AUTHENTICATION "Authentication credentials not found..." (HubSpot/hubspot-api-nodejs#148,#432),
  EXPIRED_AUTHENTICATION "The OAuth token used to make this call expired N minute(s) ago." (ToolJet/ToolJet#17192),
  BAD_REFRESH_TOKEN "missing or invalid refresh token" (nango.dev/blog/hubspot-oauth-bad-refresh-token),
  BAD_AUTH_CODE "missing or unknown auth code"; authorize error page "Couldn't complete the connection /
  An invalid app client_id was provided" (PipedreamHQ/pipedream#20321).

Behaviour the docs do not pin down (assumed here; change only with the integrating engineer)
-------------------------------------------------------------------------------------------------
* Token endpoint errors all answer HTTP 400 with exactly the keys
  {"status","message","correlationId","error","error_description"}:
  BAD_AUTH_CODE/invalid_grant, BAD_REFRESH_TOKEN/invalid_grant, BAD_CLIENT_ID/invalid_client (unknown client_id
  OR wrong client_secret), BAD_REDIRECT_URI/invalid_grant, BAD_GRANT_TYPE/unsupported_grant_type.
* A Content-Type other than application/x-www-form-urlencoded on the token/introspect/revoke endpoints answers
  415 with {"status":"error","message","correlationId","category":"VALIDATION_ERROR","error":"invalid_request",
  "error_description"}.  Any query string on those endpoints answers 400 (same body shape): the docs require all
  parameters in the body and the simulator enforces it so no secret ever rides in a URL.
* Revoke answers 204 No Content (also for an already-revoked, known token: idempotent); an unknown token answers
  400 VALIDATION_ERROR.  Revoking a refresh token revokes the whole grant (refresh token and every access token
  minted from it).  Revoking an access token revokes only that access token.
* Introspect: token_type is "access" / "refresh"; token_use is "access_token" / "refresh_token"; inactive,
  unknown, expired, revoked, rotated-out, uninstalled or user-deactivated tokens answer 200 {"active": false}.
* "invalidate_refresh_tokens" (portal control) models HubSpot rotating/invalidating refresh tokens on its side:
  every refresh token of that portal is then rejected with BAD_REFRESH_TOKEN and introspects {"active":false};
  access tokens already issued keep working until they expire (HubSpot documents that deleting a refresh token
  does not affect access tokens).  Rotated-out refresh tokens behave the same way.
* Uninstall, user deactivation and removing a user from a portal kill the grant entirely: refresh -> BAD_REFRESH_TOKEN,
  access token -> 401 INVALID_AUTHENTICATION, introspect -> {"active":false}.  Reactivating a user does not revive
  old grants.  A role change does NOT invalidate tokens unless asked ("invalidate_refresh_tokens": true).
* A refresh answer repeats the same refresh_token (HubSpot's observed behaviour); rotation or omission is only
  produced by test faults, or, for rotation, by the setting {"rotate_refresh_tokens": true} of /_sim/config: then
  every successful refresh answers a new refresh_token and the one sent stops working at once (refresh ->
  BAD_REFRESH_TOKEN, introspect -> {"active": false}); access tokens already issued keep working.  HubSpot does
  not document rotation (Refresh an access token, 2026-03, above) and does not rule it out; DESIGN section 7
  asks clients to store the refresh_token of every answer, which this lets tests hold them to.  Every successful exchange creates a NEW grant; older grants of the same portal stay
  valid until revoked (so tests can check the app revokes what it no longer uses).
* Scope-granting rule at "Connect app": granted = (scope ∪ optional_scope) − portal.withheld_scopes
  (withheld scopes may include required ones; this is how tests produce "required scopes missing").
  Grants minted through /_sim/grants get exactly the scopes given (withheld_scopes is not applied).
* Installing needs membership of the portal only (the simulator assumes every member has App Marketplace access);
  the admin check is the app's job via the Settings users API.  A deactivated browser user gets a 403 page.
* Settings users endpoints accept a token holding settings.users.read OR settings.users.write ("one of the
  following scopes"); otherwise 403 MISSING_SCOPES.  A user id that is unknown, deactivated or not a member of the
  token's portal answers 404 {"status":"error","category":"OBJECT_NOT_FOUND",...}.
* 5xx fault bodies: {"status":"error","message","correlationId","category"} with category SERVICE_UNAVAILABLE
  (503), INTERNAL_ERROR (500), BAD_GATEWAY (502), GATEWAY_TIMEOUT (504).  429 uses the documented rate-limit body
  with policyName TEN_SECONDLY_ROLLING plus X-HubSpot-RateLimit-* headers.
* The deprecated v1 paths (/oauth/v1/...) answer 410 with a HubSpot-style body so accidental use is caught; any
  long path segment (>= 32 chars) or known token/code/secret in a logged path is replaced by "{redacted}", and a
  segment holding an email (GET .../{email}?idProperty=EMAIL) by "{email}".
* The call log records only HubSpot-facing requests (not /_sim/ controls) and never stores a value.  For JSON
  bodies it records the top-level field names only ("json_fields").

CRM properties and rate limit (assumed; change only with the integrating engineer):
* Only contacts, companies, deals and tickets are simulated.  Any other {objectType} (including HubSpot's other
  objects, singular or upper-case spellings) answers 400 {"status":"error","message":"Unable to infer object type
  from: X","correlationId"} with no category.
* Scopes: the spec gives one "one of" list per operation for all objects; the simulator checks per object the
  scopes of that list naming the object.  Reads (list, get, batch/read, groups list/get): contacts/companies/deals
  accept crm.schemas.{o}.read, crm.objects.{o}.read, crm.objects.{o}.write and the crm.objects.{o}.(highly_)
  sensitive.read/write.v2 scopes; writes (create, patch, archive, batch/create, batch/archive, group create/patch/
  archive) accept crm.schemas.{o}.write only.  Tickets (no crm.schemas.tickets.* in the spec): tickets,
  tickets.sensitive.v2 or tickets.highly_sensitive.v2 for both.  403 MISSING_SCOPES lists the accepted scopes in
  errors[0].context.requiredScopes, as the users API does.
* HubSpot-defined properties and groups are a fixed, realistic subset (about 14-23 properties and 3-6 groups per
  object), the same in every portal; they carry "hubspotDefined": true, archivable false and mostly
  readOnlyDefinition true.  Custom properties OMIT hubspotDefined (clients must read absent as false).  Properties
  are listed HubSpot-defined first (template order), then custom ones in creation order.
* Custom properties carry createdAt/updatedAt; the generated ones sometimes carry createdUserId/updatedUserId (set in
  HubSpot's UI), API-created ones never do.  Options always carry label, value, description ("" when none),
  displayOrder and hidden.  Every property carries options ([] unless enumeration or bool) and dataSensitivity.
* Request bodies are checked strictly against the 2026-03 spec: an unknown field answers 400 VALIDATION_ERROR
  ("Unrecognized field ..."); missing required fields answer 400 "Cannot build X, some of required attributes are
  not set [...]" (PropertyCreate: fieldType, groupName, label, name, type; OptionInput: displayOrder, hidden, label,
  value; BatchReadInputPropertyName: archived, dataSensitivity, inputs; PropertyGroupCreate: label, name).
  Validation errors carry errors[0] = {"message","in": field,"code"}.  A body that is not application/json answers
  415 VALIDATION_ERROR; malformed JSON 400 "Invalid input JSON on line L, column C: ...".
* Property and group names: a lowercase letter, then lowercase letters, digits, underscores.  type/fieldType must be
  a documented pair (phone_number takes phonenumber); calculation_equation needs calculationFormula; enumeration
  needs at least one option unless externalOptions (which needs referencedObjectType OWNER); options on other
  types than enumeration/bool answer 400; a bool property without options gets Yes/true, No/false.  The group must
  exist (400 otherwise).  An 11th unique-value property of an object answers 400.
* 409 OBJECT_ALREADY_EXISTS {"message":"Property NAME already exists","context":{"name":[NAME]}} also when the name
  is HubSpot-defined or an archived custom property's; the same for groups ("Property group NAME already exists").
  404 OBJECT_NOT_FOUND "Property NAME does not exist" / "Property group NAME does not exist".
* PATCH replaces the given fields; options replace the whole option list.  Changing "type" answers 400 (the spec
  lets PATCH carry type, HubSpot's UI restricts conversions; the simulator allows none); fieldType may change only
  to another valid fieldType of the same type, never to or from calculation_equation.  HubSpot-defined properties
  with readOnlyDefinition true answer 400 to PATCH; the few with readOnlyDefinition false (lifecyclestage,
  hs_lead_status, industry, type, dealtype, hs_priority, hs_ticket_priority, hs_ticket_category) take edits in
  that portal only.  HubSpot-defined groups answer 400 to PATCH and DELETE.
* DELETE of a property archives it (archived true, archivedAt; listed only with ?archived=true; its name stays
  taken).  DELETE of a group with (non-archived) properties answers 400.  batch/archive answers 204 whatever the
  names (unknown and HubSpot-defined ones are left alone).
* Batch: more than 100 inputs answer 400.  batch/create creates each valid input; with any failure it answers 207
  {"status":"COMPLETE","results":[...],"numErrors":n,"errors":[StandardError],"startedAt","completedAt"}, even when
  every input failed; each error is {"status":"error","category","message","context":{"name":[NAME]},"errors":[],
  "links":{}}.  batch/read answers 207 with an OBJECT_NOT_FOUND error per unknown name, duplicates read once.
* dataSensitivity: every simulated property is non_sensitive unless created otherwise; GET lists only properties
  of the requested sensitivity (default non_sensitive).  The "properties" and "locale" query parameters are ignored.
* Rate limit: one rolling window per (app, portal), burst_limit calls (default 110) per burst_window_ms (default
  10000) of simulator time (so /_sim/clock advances it), counted for every authenticated call of the Bearer APIs
  (settings users and CRM properties), whatever its answer (403, 404, ...).  A call past the limit answers 429 and
  is not counted; 401s are not counted and carry no rate-limit headers.  Every other Bearer answer carries
  X-HubSpot-RateLimit-Max, X-HubSpot-RateLimit-Remaining (after this call; 0 on a 429) and
  X-HubSpot-RateLimit-Interval-Milliseconds; no Daily headers (OAuth), no Retry-After.  The OAuth endpoints are not
  rate limited.  Injected faults bypass the window.
* POST /_sim/portals/{hub}/properties validates with the API's rules, except that options may omit displayOrder
  (default: the option's position) and hidden (default false), and that createdAt, updatedAt, createdUserId,
  updatedUserId and archived may be given.  It replaces the object's custom groups and properties unless
  "replace": false (then it merges by name); edits of HubSpot-defined properties are kept.
* Generated custom properties (/_sim/portals/{hub}/properties/generate and the demo seed) are deterministic for
  (object type, per_object, seed): agency-style labels ("Lead source detail", "Onboarding stage", "Renewal date",
  "Contract value tier", ...) with qualifiers (" (EMEA)", " 2", ...) once the vocabulary is used up, names derived
  from labels, 1-4 custom groups per object, all documented type/fieldType kinds.  Generating replaces the object's
  custom groups and properties.  Demo portals (seed demo) get, per object type, 25 (Acme), 60 (Globex),
  12 (Initech), 40 (Umbrella), 90 (Stark) and 30 (Wayne) custom properties, seed "demo-{hub_id}".

Demo portals (seed demo): users, and what an audit of each finds
-----------------------------------------------------------------
Every demo portal has the roles Admin ({hub}01), Sales Rep ({hub}02) and Marketing Manager ({hub}03), and the agency's
users: alex@agency.example (71000001, Super Admin on all six, no role: the browser user, who connects the portals in
`make run`), sam@agency.example (71000002: Admin on Acme, Globex and Initech, Marketing Manager on Umbrella) and
riley@agency.example (71000003: Sales Rep on all six).  Each portal also has its own users (DEMO_PORTAL_USERS, ids
710000{portal 1-6}{n}, one portal each; grace.liu@acme-corp.com and sunil.rao@stark-industries.com hold two roles):

    portal                 users  Super Admins  with a role  no role, not Super Admin
    Acme Corp 20001001        12        5             5          2 (jamie.ortiz, web.contractor@pixelforge.example)
    Globex 20001002            6        2             4          0
    Initech 20001003           7        3             4          0
    Umbrella 20001004          6        1             5          0
    Stark 20001005             9        4             4          1 (events.temp)
    Wayne 20001006             6        2             4          0

So with the default limit of 3 Super Admins, Acme (5) and Stark (4) have too many (high) and users with no role
(low); the other four are compliant.  GET /settings/users/2026-03 lists them by id (limit, after paging).

Property rules: generated custom properties have an empty description about one time in six (every portal).  Acme's
companies also get DEMO_ACME_COMPANY_FINDINGS (so 25 + 3 custom company properties): billing_email labelled
"Invoice email" like invoice_email (two properties with one label), client_status, an enumeration with the single
option Active and no description, legacy_tier, an enumeration whose three options are all hidden, in group
legacy_import_2, and the custom groups legacy_import (empty) and legacy_import_2, both labelled "Legacy import".
Acme's contacts are left as generated (make run deploys them to Wayne).
"""

import argparse
import collections
import datetime
import html
import json
import os
import random
import secrets
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

DEFAULT_CLIENT_ID = "jetstack-sim-client-id"
DEFAULT_CLIENT_SECRET = "jetstack-sim-client-secret"
DEFAULT_APP_ID = 4242001
DEFAULT_APP_NAME = "JetStack AI"

ACCESS_TOKEN_TTL = 1800  # seconds; HubSpot documents 30 minutes
CODE_TTL = 300  # seconds; authorization codes live 5 minutes
MAX_API_BODY = 1 << 20  # 1 MiB for HubSpot-facing endpoints
MAX_SIM_BODY = 256 << 20  # bulk seeding of 10,000+ portals

USERS_SCOPES = ("settings.users.read", "settings.users.write")
FORM_CT = "application/x-www-form-urlencoded"
ENDPOINTS = ("authorize", "token", "introspect", "revoke", "users", "properties", "groups", "all")
API_ENDPOINTS = ("users", "properties", "groups")  # Bearer-authenticated, rate limited per (app, portal)

INVALID_AUTH_MESSAGE = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
                        "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
MISSING_SCOPES_MESSAGE = ("This app hasn't been granted all required scopes to make this call. Read more about "
                          "required scopes here: https://developers.hubspot.com/scopes.")

DEMO_PORTALS = [
    (20001001, "Acme Corp", "acme-corp.com"),
    (20001002, "Globex Marketing", "globex-marketing.com"),
    (20001003, "Initech", "initech.com"),
    (20001004, "Umbrella Health", "umbrella-health.com"),
    (20001005, "Stark Industries", "stark-industries.com"),
    (20001006, "Wayne Enterprises", "wayne-enterprises.com"),
]

FAULT_CATEGORIES = {500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "GATEWAY_TIMEOUT"}


# ====================================================================== CRM properties (2026-03)
CRM_API_PREFIX = "/crm/properties/2026-03/"
# Object names and the object type ids HubSpot documents for them ("Understanding the CRM"); both are accepted in
# the {objectType} path segment.  Only these four objects are simulated.
CRM_OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
CRM_OBJECTS = tuple(CRM_OBJECT_TYPE_IDS)
CRM_BY_TYPE_ID = {v: k for k, v in CRM_OBJECT_TYPE_IDS.items()}

# Documented property `type` values and their valid `fieldType` values (Properties API guide).  phone_number is in
# the 2026-03 PropertyCreate enum but not in the guide's table: assumed to take fieldType phonenumber only.
PROPERTY_FIELD_TYPES = {
    "bool": ("booleancheckbox", "calculation_equation"),
    "enumeration": ("booleancheckbox", "checkbox", "radio", "select", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "string": ("file", "text", "textarea", "calculation_equation", "html", "phonenumber"),
    "number": ("number", "calculation_equation"),
    "phone_number": ("phonenumber",),
}
NUMBER_DISPLAY_HINTS = ("currency", "duration", "formatted", "percentage", "probability", "unformatted")
DATA_SENSITIVITIES = ("highly_sensitive", "non_sensitive", "sensitive")
MAX_UNIQUE_PROPERTIES = 10  # "You can have up to ten unique ID properties per object."
PROPERTY_BATCH_LIMIT = 100  # "Batch operations are limited to 100 records at a time" (usage guidelines)
PROPERTY_CREATE_FIELDS = {"name", "label", "type", "fieldType", "groupName", "description", "options", "displayOrder",
                          "hasUniqueValue", "hidden", "formField", "calculationFormula", "currencyPropertyName",
                          "dataSensitivity", "externalOptions", "numberDisplayHint", "referencedObjectType",
                          "showCurrencySymbol"}
PROPERTY_UPDATE_FIELDS = {"label", "type", "fieldType", "groupName", "description", "options", "displayOrder",
                          "hidden", "formField", "calculationFormula", "currencyPropertyName", "numberDisplayHint",
                          "showCurrencySymbol"}
OPTION_FIELDS = {"label", "value", "description", "displayOrder", "hidden"}
GROUP_CREATE_FIELDS = {"name", "label", "displayOrder"}
GROUP_UPDATE_FIELDS = {"label", "displayOrder"}

# Scopes.  HubSpot's 2026-03 OpenAPI spec lists, per operation, one security list for every object type ("one of
# the following scopes").  The simulator checks, per object type, the scopes of that list which name the object
# (for tickets the list has the `tickets` scopes, no crm.schemas.tickets.*).
_READ_SCOPE_FORMS = ("crm.schemas.%s.read", "crm.objects.%s.read", "crm.objects.%s.write",
                     "crm.objects.%s.sensitive.read.v2", "crm.objects.%s.sensitive.write.v2",
                     "crm.objects.%s.highly_sensitive.read.v2", "crm.objects.%s.highly_sensitive.write.v2")
_TICKET_SCOPES = ["tickets", "tickets.highly_sensitive.v2", "tickets.sensitive.v2"]
PROPERTY_SCOPES = {ot: {"read": sorted(f % ot for f in _READ_SCOPE_FORMS), "write": ["crm.schemas.%s.write" % ot]}
                   for ot in ("contacts", "companies", "deals")}
PROPERTY_SCOPES["tickets"] = {"read": list(_TICKET_SCOPES), "write": list(_TICKET_SCOPES)}

# Rate limit: "each HubSpot account that installs your app is limited to 110 requests every 10 seconds" (public apps
# using OAuth; excludes the CRM Search API).  OAuth-authorized answers carry no X-HubSpot-RateLimit-Daily* headers.
DEFAULT_BURST_LIMIT = 110
DEFAULT_BURST_WINDOW_MS = 10000

DEFAULT_CREATED_AT = "2019-08-06T02:41:08.029Z"
DEFAULT_UPDATED_AT = "2025-11-04T17:22:10.431Z"


def _opts(pairs, hidden=()):
    return [{"label": label, "value": value, "description": "", "displayOrder": i, "hidden": value in hidden}
            for i, (label, value) in enumerate(pairs)]


_YES_NO = [("Yes", "true"), ("No", "false")]
_LIFECYCLE = [("Subscriber", "subscriber"), ("Lead", "lead"), ("Marketing Qualified Lead", "marketingqualifiedlead"),
              ("Sales Qualified Lead", "salesqualifiedlead"), ("Opportunity", "opportunity"),
              ("Customer", "customer"), ("Evangelist", "evangelist"), ("Other", "other")]
_LEAD_STATUS = [("New", "NEW"), ("Open", "OPEN"), ("In Progress", "IN_PROGRESS"), ("Open Deal", "OPEN_DEAL"),
                ("Unqualified", "UNQUALIFIED"), ("Attempted to Contact", "ATTEMPTED_TO_CONTACT"),
                ("Connected", "CONNECTED"), ("Bad Timing", "BAD_TIMING")]
_SOURCES = [("Organic Search", "ORGANIC_SEARCH"), ("Paid Search", "PAID_SEARCH"), ("Email Marketing", "EMAIL_MARKETING"),
            ("Organic Social", "SOCIAL_MEDIA"), ("Referrals", "REFERRALS"), ("Other Campaigns", "OTHER_CAMPAIGNS"),
            ("Direct Traffic", "DIRECT_TRAFFIC"), ("Offline Sources", "OFFLINE"), ("Paid Social", "PAID_SOCIAL"),
            ("AI Referrals", "AI_REFERRALS")]

# Groups HubSpot defines for each object (name, label), displayOrder = position.
DEFAULT_GROUPS = {
    "contacts": [("contactinformation", "Contact information"), ("emailinformation", "Email information"),
                 ("conversioninformation", "Conversion information"),
                 ("analyticsinformation", "Web analytics history"), ("sales_properties", "Sales properties"),
                 ("contact_activity", "Contact activity")],
    "companies": [("companyinformation", "Company information"),
                  ("social_media_information", "Social media information"),
                  ("analyticsinformation", "Web analytics history"), ("company_activity", "Company activity"),
                  ("target_accounts", "Target accounts")],
    "deals": [("dealinformation", "Deal information"), ("deal_activity", "Deal activity"),
              ("deal_revenue", "Deal revenue"), ("analyticsinformation", "Web analytics history")],
    "tickets": [("ticketinformation", "Ticket information"), ("ticket_activity", "Ticket activity"),
                ("sla_information", "SLA information")],
}


def _d(name, label, ptype, field_type, group, description="", options=None, **kw):
    """One HubSpot-defined property template (the simulator's own defaults; see DEFAULT_PROPERTIES)."""
    p = {"name": name, "label": label, "type": ptype, "fieldType": field_type, "description": description,
         "groupName": group, "options": options or [], "displayOrder": kw.pop("displayOrder", -1),
         "calculated": kw.pop("calculated", False), "externalOptions": kw.pop("externalOptions", False),
         "hasUniqueValue": kw.pop("hasUniqueValue", False), "hidden": kw.pop("hidden", False),
         "hubspotDefined": True, "formField": kw.pop("formField", False), "dataSensitivity": "non_sensitive",
         "modificationMetadata": {"archivable": False, "readOnlyDefinition": kw.pop("readOnlyDefinition", True),
                                  "readOnlyValue": kw.pop("readOnlyValue", False),
                                  "readOnlyOptions": kw.pop("readOnlyOptions", ptype != "enumeration")},
         "createdAt": DEFAULT_CREATED_AT, "updatedAt": DEFAULT_UPDATED_AT, "archived": False}
    p.update(kw)  # referencedObjectType, showCurrencySymbol, numberDisplayHint, ...
    return p


_OWNER = dict(externalOptions=True, referencedObjectType="OWNER", formField=False)
DEFAULT_PROPERTIES = {
    "contacts": [
        _d("email", "Email", "string", "text", "contactinformation", "A contact's email address", formField=True),
        _d("firstname", "First Name", "string", "text", "contactinformation", "A contact's first name",
           formField=True),
        _d("lastname", "Last Name", "string", "text", "contactinformation", "A contact's last name", formField=True),
        _d("phone", "Phone Number", "string", "phonenumber", "contactinformation",
           "A contact's primary phone number", formField=True),
        _d("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation",
           "A contact's mobile phone number", formField=True),
        _d("company", "Company Name", "string", "text", "contactinformation",
           "Name of the contact's company. This can be set independently from the name property on the "
           "contact's associated company.", formField=True),
        _d("jobtitle", "Job Title", "string", "text", "contactinformation", "A contact's job title",
           formField=True),
        _d("website", "Website URL", "string", "text", "contactinformation",
           "Associated company website.", formField=True),
        _d("city", "City", "string", "text", "contactinformation", "A contact's city of residence",
           formField=True),
        _d("state", "State/Region", "string", "text", "contactinformation",
           "The contact's state of residence.", formField=True),
        _d("country", "Country/Region", "string", "text", "contactinformation",
           "The contact's country/region of residence.", formField=True),
        _d("zip", "Postal Code", "string", "text", "contactinformation", "The contact's zip code.",
           formField=True),
        _d("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation",
           "The qualification of contacts to sales readiness.", _opts(_LIFECYCLE), formField=True,
           readOnlyDefinition=False),
        _d("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties",
           "The contact's sales, prospecting or outreach status", _opts(_LEAD_STATUS), formField=True,
           readOnlyDefinition=False),
        _d("hubspot_owner_id", "Contact owner", "enumeration", "select", "sales_properties",
           "The owner of a contact.", **_OWNER),
        _d("hs_email_optout", "Unsubscribed from all email", "bool", "booleancheckbox", "emailinformation",
           "Indicates that the current email address has opted out of all email.", _opts(_YES_NO),
           readOnlyValue=True),
        _d("hs_analytics_source", "Original Traffic Source", "enumeration", "select", "analyticsinformation",
           "First known source the contact used to find your website.", _opts(_SOURCES), calculated=True,
           readOnlyValue=True),
        _d("num_notes", "Number of Sales Activities", "number", "number", "contact_activity",
           "The number of sales activities logged for this contact.", calculated=True, readOnlyValue=True),
        _d("notes_last_contacted", "Last Contacted", "datetime", "date", "contact_activity",
           "The last time a call, sales email, or meeting was logged for this contact.", calculated=True,
           readOnlyValue=True),
        _d("createdate", "Create Date", "datetime", "date", "contactinformation",
           "The date that a contact entered the system", readOnlyValue=True),
        _d("lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation",
           "Most recent timestamp of any property update for this contact.", calculated=True,
           readOnlyValue=True),
        _d("hs_object_id", "Record ID", "number", "number", "contactinformation",
           "The unique ID for this record. This value is set automatically by HubSpot.", readOnlyValue=True),
    ],
    "companies": [
        _d("name", "Company name", "string", "text", "companyinformation", "The name of the company or "
           "organization.", formField=True),
        _d("domain", "Company Domain Name", "string", "text", "companyinformation",
           "The domain name of the company or organization", formField=True),
        _d("website", "Website URL", "string", "text", "companyinformation",
           "The main website of the company or organization.", formField=True),
        _d("phone", "Phone Number", "string", "phonenumber", "companyinformation",
           "A company's primary phone number.", formField=True),
        _d("industry", "Industry", "enumeration", "select", "companyinformation",
           "The type of business the company performs.",
           _opts([("Accounting", "ACCOUNTING"), ("Computer Software", "COMPUTER_SOFTWARE"),
                  ("Financial Services", "FINANCIAL_SERVICES"), ("Health, Wellness and Fitness",
                                                                 "HEALTH_WELLNESS_AND_FITNESS"),
                  ("Hospital & Health Care", "HOSPITAL_HEALTH_CARE"), ("Marketing and Advertising",
                                                                       "MARKETING_AND_ADVERTISING"),
                  ("Retail", "RETAIL"), ("Manufacturing", "MACHINERY"), ("Non-Profit Organization Management",
                                                                         "NON_PROFIT_ORGANIZATION_MANAGEMENT"),
                  ("Education Management", "EDUCATION_MANAGEMENT")]), formField=True, readOnlyDefinition=False),
        _d("type", "Type", "enumeration", "select", "companyinformation",
           "The optional classification of this company record - prospect, partner, etc.",
           _opts([("Prospect", "PROSPECT"), ("Partner", "PARTNER"), ("Reseller", "RESELLER"), ("Vendor", "VENDOR"),
                  ("Other", "OTHER")]), formField=True, readOnlyDefinition=False),
        _d("city", "City", "string", "text", "companyinformation", "The city where the company is located.",
           formField=True),
        _d("state", "State/Region", "string", "text", "companyinformation",
           "The state or region where the company is located.", formField=True),
        _d("country", "Country/Region", "string", "text", "companyinformation",
           "The country/region in which the company is located.", formField=True),
        _d("zip", "Postal Code", "string", "text", "companyinformation",
           "The postal or zip code of the company or organization.", formField=True),
        _d("numberofemployees", "Number of Employees", "number", "number", "companyinformation",
           "The total number of employees who work for the company or organization", formField=True),
        _d("annualrevenue", "Annual Revenue", "number", "number", "companyinformation",
           "The actual or estimated annual revenue of the company.", formField=True, showCurrencySymbol=True,
           numberDisplayHint="currency"),
        _d("description", "Description", "string", "textarea", "companyinformation",
           "A short statement about the company's mission and goals.", formField=True),
        _d("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation",
           "The qualification of companies to sales readiness throughout the buying journey",
           _opts(_LIFECYCLE), formField=True, readOnlyDefinition=False),
        _d("hubspot_owner_id", "Company owner", "enumeration", "select", "companyinformation",
           "The owner of the company", **_OWNER),
        _d("linkedin_company_page", "LinkedIn Company Page", "string", "text", "social_media_information",
           "The URL of the LinkedIn company page for the company or organization", formField=True),
        _d("hs_analytics_source", "Original Traffic Source", "enumeration", "select", "analyticsinformation",
           "Original source for the contact with the earliest activity for this company.", _opts(_SOURCES),
           calculated=True, readOnlyValue=True),
        _d("num_associated_contacts", "Number of Associated Contacts", "number", "number", "companyinformation",
           "The number of contacts associated with this company", calculated=True, readOnlyValue=True),
        _d("notes_last_contacted", "Last Contacted", "datetime", "date", "company_activity",
           "The last time a call, chat conversation, LinkedIn message, postal mail, meeting, sales email, SMS, "
           "or WhatsApp message was logged for a contact at this company", calculated=True, readOnlyValue=True),
        _d("createdate", "Create Date", "datetime", "date", "companyinformation",
           "The date the company was added to your account", readOnlyValue=True),
        _d("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "companyinformation",
           "Most recent timestamp of any property update for this company.", calculated=True, readOnlyValue=True),
        _d("hs_object_id", "Record ID", "number", "number", "companyinformation",
           "The unique ID for this record. This value is set automatically by HubSpot.", readOnlyValue=True),
    ],
    "deals": [
        _d("dealname", "Deal Name", "string", "text", "dealinformation", "The name given to this deal.",
           formField=True),
        _d("amount", "Amount", "number", "number", "dealinformation", "The total amount of the deal",
           formField=True, showCurrencySymbol=True, numberDisplayHint="currency"),
        _d("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation",
           "The stage of the deal. Deal stages allow you to categorize and track the progress of the deals "
           "that you are working on.",
           _opts([("Appointment Scheduled", "appointmentscheduled"), ("Qualified To Buy", "qualifiedtobuy"),
                  ("Presentation Scheduled", "presentationscheduled"),
                  ("Decision Maker Bought-In", "decisionmakerboughtin"), ("Contract Sent", "contractsent"),
                  ("Closed Won", "closedwon"), ("Closed Lost", "closedlost")]), externalOptions=True),
        _d("pipeline", "Pipeline", "enumeration", "select", "dealinformation",
           "The pipeline the deal is in. This determines which stages are options for the deal.",
           _opts([("Sales Pipeline", "default")]), externalOptions=True),
        _d("closedate", "Close Date", "datetime", "date", "dealinformation",
           "Date the deal was closed. Set automatically by HubSpot.", formField=True),
        _d("dealtype", "Deal Type", "enumeration", "radio", "dealinformation",
           "The type of deal. By default, categorize your deal as either New Business or Existing Business.",
           _opts([("New Business", "newbusiness"), ("Existing Business", "existingbusiness")]), formField=True,
           readOnlyDefinition=False),
        _d("hs_priority", "Priority", "enumeration", "select", "dealinformation", "",
           _opts([("Low", "low"), ("Medium", "medium"), ("High", "high")]), readOnlyDefinition=False),
        _d("description", "Deal Description", "string", "textarea", "dealinformation",
           "Description of the deal", formField=True),
        _d("hubspot_owner_id", "Deal owner", "enumeration", "select", "dealinformation",
           "User the deal is assigned to. Assign additional users to a deal record by creating a custom user "
           "property.", **_OWNER),
        _d("hs_deal_stage_probability", "Deal probability", "number", "number", "dealinformation",
           "The probability a deal will close. This defaults to the deal stage probability setting.",
           calculated=True, readOnlyValue=True, numberDisplayHint="probability"),
        _d("hs_arr", "Annual recurring revenue", "number", "number", "deal_revenue",
           "The annual recurring revenue (ARR) of this deal.", calculated=True, readOnlyValue=True,
           showCurrencySymbol=True, numberDisplayHint="currency"),
        _d("num_associated_contacts", "Number of Associated Contacts", "number", "number", "deal_activity",
           "The number of contacts associated with this deal", calculated=True, readOnlyValue=True),
        _d("notes_last_contacted", "Last Contacted", "datetime", "date", "deal_activity",
           "The last time a call, chat conversation, LinkedIn message, postal mail, meeting, sales email, SMS, "
           "or WhatsApp message was logged for a contact associated with this deal", calculated=True,
           readOnlyValue=True),
        _d("createdate", "Create Date", "datetime", "date", "dealinformation", "Date the deal was created. "
           "This property is set automatically by HubSpot.", readOnlyValue=True),
        _d("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", "dealinformation",
           "Most recent timestamp of any property update for this deal.", calculated=True, readOnlyValue=True),
        _d("hs_object_id", "Record ID", "number", "number", "dealinformation",
           "The unique ID for this record. This value is set automatically by HubSpot.", readOnlyValue=True),
    ],
    "tickets": [
        _d("subject", "Ticket name", "string", "text", "ticketinformation", "Short summary of ticket",
           formField=True),
        _d("content", "Ticket description", "string", "textarea", "ticketinformation",
           "Text in body of the ticket", formField=True),
        _d("hs_pipeline", "Pipeline", "enumeration", "select", "ticketinformation",
           "The pipeline that contains this ticket", _opts([("Support Pipeline", "0")]), externalOptions=True),
        _d("hs_pipeline_stage", "Ticket status", "enumeration", "radio", "ticketinformation",
           "The pipeline stage that contains this ticket",
           _opts([("New", "1"), ("Waiting on contact", "2"), ("Waiting on us", "3"), ("Closed", "4")]),
           externalOptions=True),
        _d("hs_ticket_priority", "Priority", "enumeration", "select", "ticketinformation",
           "The level of attention needed on the ticket",
           _opts([("Low", "LOW"), ("Medium", "MEDIUM"), ("High", "HIGH"), ("Urgent", "URGENT")]),
           formField=True, readOnlyDefinition=False),
        _d("hs_ticket_category", "Category", "enumeration", "checkbox", "ticketinformation",
           "The main reason customer reached out for help",
           _opts([("Product issue", "PRODUCT_ISSUE"), ("Billing issue", "BILLING_ISSUE"),
                  ("Feature request", "FEATURE_REQUEST"), ("General inquiry", "GENERAL_INQUIRY")]),
           formField=True, readOnlyDefinition=False),
        _d("source_type", "Source", "enumeration", "select", "ticketinformation",
           "Channel where ticket was originally submitted",
           _opts([("Chat", "CHAT"), ("Email", "EMAIL"), ("Form", "FORM"), ("Phone", "PHONE")])),
        _d("hubspot_owner_id", "Ticket owner", "enumeration", "select", "ticketinformation",
           "User the ticket is assigned to. Assign additional users to a ticket record by creating a custom "
           "user property.", **_OWNER),
        _d("closed_date", "Close date", "datetime", "date", "ticketinformation",
           "The date the ticket was closed", readOnlyValue=True),
        _d("time_to_close", "Time to close", "number", "number", "ticket_activity",
           "Time from ticket creation to close", calculated=True, readOnlyValue=True,
           numberDisplayHint="duration"),
        _d("hs_time_to_first_response_sla_due_date", "Time to first response SLA due date", "datetime", "date",
           "sla_information", "The date and time when the time to first response SLA is due", calculated=True,
           readOnlyValue=True),
        _d("createdate", "Create date", "datetime", "date", "ticketinformation",
           "The date the ticket was created", readOnlyValue=True),
        _d("hs_lastmodifieddate", "Last modified date", "datetime", "date", "ticketinformation",
           "Most recent timestamp of any property update for this ticket.", calculated=True, readOnlyValue=True),
        _d("hs_object_id", "Record ID", "number", "number", "ticketinformation",
           "The unique ID for this record. This value is set automatically by HubSpot.", readOnlyValue=True),
    ],
}
DEFAULT_PROPERTY_INDEX = {ot: {p["name"]: p for p in props} for ot, props in DEFAULT_PROPERTIES.items()}
# Every group HubSpot defines holds at least one of its properties (as in HubSpot's portals): an
# audit must not find HubSpot's own groups empty.
DEFAULT_PROPERTIES["contacts"].append(
    _d("recent_conversion_event_name", "Recent Conversion", "string", "text", "conversioninformation",
       "The last form this contact submitted.", calculated=True, readOnlyValue=True))
DEFAULT_PROPERTIES["companies"].append(
    _d("hs_is_target_account", "Target Account", "bool", "booleancheckbox", "target_accounts",
       "The company is part of an account-based marketing strategy.", _opts(_YES_NO),
       readOnlyDefinition=True))
DEFAULT_PROPERTIES["deals"].append(
    _d("hs_analytics_source", "Original Traffic Source", "enumeration", "select", "analyticsinformation",
       "Original source for the contact with the earliest activity for this deal.", _opts(_SOURCES),
       calculated=True, readOnlyValue=True))
DEFAULT_GROUP_NAMES = {ot: {g for g, _ in groups} for ot, groups in DEFAULT_GROUPS.items()}

# ---------------------------------------------------------------- generated (agency-style) custom properties
# (label, kind, options) -- kinds: text, textarea, phone, number, currency, percent, date, datetime, select,
# radio, checkbox, bool, unique.
_TIERS = ["Tier 1 (under $10k)", "Tier 2 ($10k-$50k)", "Tier 3 ($50k-$150k)", "Tier 4 (over $150k)"]
_REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
CUSTOM_VOCAB = {
    "contacts": [
        ("Lead source detail", "select", ["Google Ads", "LinkedIn Ads", "Referral partner", "Trade show",
                                          "Webinar", "Organic search", "Cold outreach"]),
        ("Preferred contact channel", "radio", ["Email", "Phone", "SMS", "LinkedIn"]),
        ("Onboarding stage", "select", ["Not started", "Kickoff scheduled", "Discovery", "Implementation",
                                        "Training", "Live"]),
        ("Decision role", "select", ["Decision maker", "Influencer", "Champion", "Gatekeeper", "End user"]),
        ("Newsletter topics", "checkbox", ["SEO", "Paid media", "Web design", "Branding", "Analytics"]),
        ("Last QBR date", "date", None),
        ("Next follow-up", "datetime", None),
        ("LinkedIn profile URL", "text", None),
        ("Assistant phone", "phone", None),
        ("Meeting notes summary", "textarea", None),
        ("Lead score override", "number", None),
        ("Event attendee", "bool", None),
        ("GDPR consent captured", "bool", None),
        ("Persona fit", "radio", ["Strong", "Moderate", "Weak"]),
        ("Sales region", "select", _REGIONS),
        ("Referral partner name", "text", None),
        ("Webinar registrations", "number", None),
        ("Contract signatory", "bool", None),
        ("Marketing qualified date", "date", None),
        ("Client satisfaction score", "number", None),
        ("Preferred meeting days", "checkbox", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
        ("Portal login ID", "unique", None),
    ],
    "companies": [
        ("Contract value tier", "select", _TIERS),
        ("Renewal date", "date", None),
        ("Account manager", "text", None),
        ("Service tier", "radio", ["Bronze", "Silver", "Gold", "Platinum"]),
        ("Retainer hours per month", "number", None),
        ("Monthly ad spend", "currency", None),
        ("Website platform", "select", ["WordPress", "HubSpot CMS", "Shopify", "Webflow", "Custom build"]),
        ("CMS migration status", "select", ["Not planned", "Scoping", "In progress", "Completed"]),
        ("Industry vertical", "select", ["SaaS", "Healthcare", "Retail", "Manufacturing", "Financial services",
                                         "Non-profit", "Education"]),
        ("Billing cycle", "radio", ["Monthly", "Quarterly", "Annually"]),
        ("Churn risk", "select", ["Low", "Medium", "High"]),
        ("NPS score", "number", None),
        ("Brand guidelines received", "bool", None),
        ("Services purchased", "checkbox", ["SEO", "PPC", "Social", "Web design", "Content", "Email"]),
        ("Kickoff date", "date", None),
        ("Go-live date", "date", None),
        ("Contract end date", "date", None),
        ("Client reference ID", "unique", None),
        ("Invoice email", "text", None),
        ("QBR notes", "textarea", None),
        ("Last health check", "datetime", None),
        ("Headcount band", "select", ["1-10", "11-50", "51-200", "201-1000", "1000+"]),
        ("Agency margin", "percent", None),
        ("Main office phone", "phone", None),
    ],
    "deals": [
        ("Proposal sent date", "date", None),
        ("Discount approved", "bool", None),
        ("Contract value tier", "select", _TIERS),
        ("Project type", "select", ["Website build", "Retainer", "Campaign", "Audit", "Consulting"]),
        ("Estimated hours", "number", None),
        ("Budget confirmed", "bool", None),
        ("Competing options", "checkbox", ["In-house team", "Other agency", "Freelancer", "No decision"]),
        ("Loss reason detail", "textarea", None),
        ("Win reason", "select", ["Price", "Expertise", "Relationship", "Timeline", "Case studies"]),
        ("Renewal deal", "bool", None),
        ("Expected start date", "date", None),
        ("Statement of work link", "text", None),
        ("Margin percentage", "percent", None),
        ("Payment terms", "radio", ["Net 15", "Net 30", "Net 45", "Net 60"]),
        ("Procurement stage", "select", ["Not started", "Vendor form", "Security review", "Legal", "Signed"]),
        ("Legal review complete", "bool", None),
        ("Decision date", "datetime", None),
        ("Upsell opportunity", "select", ["None", "SEO add-on", "Paid media", "Retainer increase"]),
        ("Setup fee", "currency", None),
        ("Billing contact phone", "phone", None),
        ("Sales region", "select", _REGIONS),
    ],
    "tickets": [
        ("Affected service", "select", ["Website", "Hosting", "Paid media", "Email campaigns", "Reporting"]),
        ("Client impact", "radio", ["Low", "Medium", "High", "Critical"]),
        ("SLA tier", "select", ["Standard", "Priority", "Premium"]),
        ("First response due", "datetime", None),
        ("Target resolution date", "date", None),
        ("Root cause category", "select", ["Configuration", "Content", "Third-party outage", "Bug", "User error"]),
        ("Escalated to account manager", "bool", None),
        ("Billable", "bool", None),
        ("Hours logged", "number", None),
        ("Resolution summary", "textarea", None),
        ("Browser and device", "text", None),
        ("Affected URLs", "textarea", None),
        ("Requester role", "select", ["Marketing manager", "Founder", "IT", "Sales", "Other"]),
        ("Client satisfaction rating", "radio", ["1", "2", "3", "4", "5"]),
        ("Change request", "bool", None),
        ("Deployment window", "datetime", None),
        ("Channels affected", "checkbox", ["Web", "Email", "Social", "Ads"]),
        ("Callback number", "phone", None),
    ],
}
CUSTOM_GROUP_VOCAB = {
    "contacts": [("agency_lead_intelligence", "Lead intelligence"), ("client_onboarding", "Client onboarding"),
                 ("account_management", "Account management"), ("marketing_preferences", "Marketing preferences")],
    "companies": [("client_account_details", "Client account details"),
                  ("contract_and_billing", "Contract and billing"), ("service_delivery", "Service delivery"),
                  ("client_health", "Client health")],
    "deals": [("deal_qualification", "Deal qualification"), ("proposal_details", "Proposal details"),
              ("renewal_tracking", "Renewal tracking"), ("commercial_terms", "Commercial terms")],
    "tickets": [("support_triage", "Support triage"), ("sla_tracking", "SLA tracking"),
                ("client_feedback", "Client feedback"), ("delivery_issues", "Delivery issues")],
}
_QUALIFIERS = ["", " (EMEA)", " (North America)", " (APAC)", " (legacy)", " 2", " (LATAM)", " (partner)", " 3",
               " (enterprise)"]
_DESCRIPTIONS = ["Maintained by the account team.", "Set during onboarding.", "Synced from the agency's PM tool.",
                 "Reviewed at every QBR.", "Imported from the previous CRM.", ""]
# Custom properties of the demo portals: per-object count and generator seed.
DEMO_CUSTOM_PROPERTIES = {20001001: 25, 20001002: 60, 20001003: 12, 20001004: 40, 20001005: 90, 20001006: 30}

# The demo portals' own users, beside the agency's Alex (Super Admin everywhere), Sam and Riley: (user id, email,
# first name, last name, hub id, Super Admin, role names).  Acme and Stark hold more Super Admins than an
# organisation's default limit of 3 and users with no role; the others a compliant set (see the docstring).
_SA = True
DEMO_PORTAL_USERS = [
    ("71000011", "dana.whitfield@acme-corp.com", "Dana", "Whitfield", 20001001, _SA, []),
    ("71000012", "marcus.reyes@acme-corp.com", "Marcus", "Reyes", 20001001, _SA, []),
    ("71000013", "priya.shah@acme-corp.com", "Priya", "Shah", 20001001, _SA, []),
    ("71000014", "tom.becker@acme-corp.com", "Tom", "Becker", 20001001, _SA, []),
    ("71000015", "lena.kowalski@acme-corp.com", "Lena", "Kowalski", 20001001, False, ["Marketing Manager"]),
    ("71000016", "omar.haddad@acme-corp.com", "Omar", "Haddad", 20001001, False, ["Sales Rep"]),
    ("71000017", "grace.liu@acme-corp.com", "Grace", "Liu", 20001001, False, ["Admin", "Marketing Manager"]),
    ("71000018", "jamie.ortiz@acme-corp.com", "Jamie", "Ortiz", 20001001, False, []),
    ("71000019", "web.contractor@pixelforge.example", "Web", "Contractor", 20001001, False, []),
    ("71000021", "hannah.scott@globex-marketing.com", "Hannah", "Scott", 20001002, _SA, []),
    ("71000022", "ellen.park@globex-marketing.com", "Ellen", "Park", 20001002, False, ["Marketing Manager"]),
    ("71000023", "victor.nguyen@globex-marketing.com", "Victor", "Nguyen", 20001002, False, ["Sales Rep"]),
    ("71000031", "bill.lawson@initech.com", "Bill", "Lawson", 20001003, _SA, []),
    ("71000032", "joanna.rivera@initech.com", "Joanna", "Rivera", 20001003, _SA, []),
    ("71000033", "peter.gibson@initech.com", "Peter", "Gibson", 20001003, False, ["Sales Rep"]),
    ("71000034", "nina.morales@initech.com", "Nina", "Morales", 20001003, False, ["Marketing Manager"]),
    ("71000041", "alice.abbott@umbrella-health.com", "Alice", "Abbott", 20001004, False, ["Admin"]),
    ("71000042", "carlos.oliveira@umbrella-health.com", "Carlos", "Oliveira", 20001004, False,
     ["Marketing Manager"]),
    ("71000043", "jill.vance@umbrella-health.com", "Jill", "Vance", 20001004, False, ["Sales Rep"]),
    ("71000051", "virginia.potter@stark-industries.com", "Virginia", "Potter", 20001005, _SA, []),
    ("71000052", "harold.hogarth@stark-industries.com", "Harold", "Hogarth", 20001005, _SA, []),
    ("71000053", "maya.hansen@stark-industries.com", "Maya", "Hansen", 20001005, _SA, []),
    ("71000054", "james.rhodes@stark-industries.com", "James", "Rhodes", 20001005, False, ["Admin"]),
    ("71000055", "erin.cole@stark-industries.com", "Erin", "Cole", 20001005, False, ["Marketing Manager"]),
    ("71000056", "sunil.rao@stark-industries.com", "Sunil", "Rao", 20001005, False,
     ["Sales Rep", "Marketing Manager"]),
    ("71000057", "events.temp@stark-industries.com", "Events", "Temp", 20001005, False, []),
    ("71000061", "lucius.farrow@wayne-enterprises.com", "Lucius", "Farrow", 20001006, _SA, []),
    ("71000062", "leslie.thompson@wayne-enterprises.com", "Leslie", "Thompson", 20001006, False, ["Admin"]),
    ("71000063", "barbara.gorman@wayne-enterprises.com", "Barbara", "Gorman", 20001006, False,
     ["Marketing Manager"]),
    ("71000064", "tim.drayton@wayne-enterprises.com", "Tim", "Drayton", 20001006, False, ["Sales Rep"]),
]

# Acme's company groups and properties that make the property rules fire, added to its generated ones (loaded with
# the /_sim/portals/{hub}/properties rules, replace false; fixed dates: the same after every reset).
DEMO_ACME_COMPANY_FINDINGS = {
    "object_type": "companies", "replace": False,
    "groups": [{"name": "legacy_import", "label": "Legacy import"},
               {"name": "legacy_import_2", "label": "Legacy import"}],
    "properties": [
        {"name": "billing_email", "label": "Invoice email", "type": "string", "fieldType": "text",
         "groupName": "client_account_details", "description": "Where invoices go (added again by finance).",
         "createdAt": "2023-03-14T10:02:11.000Z", "updatedAt": "2023-03-14T10:02:11.000Z",
         "createdUserId": "71000013", "updatedUserId": "71000013"},
        {"name": "client_status", "label": "Client status", "type": "enumeration", "fieldType": "select",
         "groupName": "service_delivery", "description": "", "options": [{"label": "Active", "value": "active"}],
         "createdAt": "2023-05-02T08:45:00.000Z", "updatedAt": "2023-05-02T08:45:00.000Z",
         "createdUserId": "71000014", "updatedUserId": "71000014"},
        {"name": "legacy_tier", "label": "Legacy tier", "type": "enumeration", "fieldType": "select",
         "groupName": "legacy_import_2", "description": "Imported from the previous CRM.",
         "options": [{"label": "Bronze", "value": "bronze", "hidden": True},
                     {"label": "Silver", "value": "silver", "hidden": True},
                     {"label": "Gold", "value": "gold", "hidden": True}],
         "createdAt": "2022-11-20T16:30:00.000Z", "updatedAt": "2023-01-09T12:00:00.000Z"},
    ],
}


def iso_ms(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def slug_name(label):
    out, last_us = [], True
    for ch in label.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            last_us = False
        elif not last_us:
            out.append("_")
            last_us = True
    s = "".join(out).strip("_")
    return s if s and s[0].isalpha() else "p_" + s


def _kind_shape(kind, options):
    """-> (type, fieldType, options list, extra fields) for a vocabulary kind."""
    if kind in ("select", "radio", "checkbox"):
        return "enumeration", kind, _opts([(o, slug_name(o)) for o in options]), {}
    if kind == "bool":
        return "bool", "booleancheckbox", _opts(_YES_NO), {}
    if kind == "number":
        return "number", "number", [], {"numberDisplayHint": "formatted"}
    if kind == "currency":
        return "number", "number", [], {"numberDisplayHint": "currency", "showCurrencySymbol": True}
    if kind == "percent":
        return "number", "number", [], {"numberDisplayHint": "percentage"}
    if kind == "date":
        return "date", "date", [], {}
    if kind == "datetime":
        return "datetime", "date", [], {}
    if kind == "textarea":
        return "string", "textarea", [], {}
    if kind == "phone":
        return "string", "phonenumber", [], {}
    if kind == "unique":
        return "string", "text", [], {"hasUniqueValue": True}
    return "string", "text", [], {}


def generate_custom_schema(object_type, count, seed):
    """Deterministic custom groups and properties for one object type: same (object_type, count, seed), same
    output, byte for byte (random.Random seeded with a string is stable across runs and Python versions 3.2+)."""
    rng = random.Random("hubspot-sim|%s|%s" % (seed, object_type))
    group_vocab = list(CUSTOM_GROUP_VOCAB[object_type])
    rng.shuffle(group_vocab)
    n_groups = 1 if count <= 3 else rng.randint(2, len(group_vocab))
    base = 1577836800 + rng.randint(0, 3 * 365 * 86400)  # 2020-01-01 + up to 3 years
    groups = [{"name": name, "label": label, "displayOrder": -1, "archived": False}
              for name, label in group_vocab[:n_groups]]
    vocab = list(CUSTOM_VOCAB[object_type])
    rng.shuffle(vocab)
    taken = set(DEFAULT_PROPERTY_INDEX[object_type])
    props, uniques = [], 0
    for i in range(count):
        label, kind, options = vocab[i % len(vocab)]
        round_ = i // len(vocab)
        if round_ < len(_QUALIFIERS):
            label += _QUALIFIERS[round_]
        else:
            label += " %d" % (round_ + 1)
        if kind == "unique":
            if uniques >= MAX_UNIQUE_PROPERTIES - 1:
                kind = "text"
            else:
                uniques += 1
        name = slug_name(label)
        while name in taken:
            name += "_custom"
        taken.add(name)
        ptype, field_type, opts, extra = _kind_shape(kind, options)
        created = base + rng.randint(0, 400 * 86400) + rng.random()
        updated = created + (rng.randint(0, 200 * 86400) if rng.random() < 0.5 else 0)
        p = {"name": name, "label": label, "type": ptype, "fieldType": field_type,
             "description": rng.choice(_DESCRIPTIONS), "groupName": groups[rng.randrange(n_groups)]["name"],
             "options": opts, "displayOrder": -1, "calculated": False, "externalOptions": False,
             "hasUniqueValue": False, "hidden": rng.random() < 0.04, "formField": rng.random() < 0.6,
             "dataSensitivity": "non_sensitive",
             "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False,
                                      "readOnlyOptions": False},
             "createdAt": iso_ms(created), "updatedAt": iso_ms(updated), "archived": False}
        p.update(extra)
        if rng.random() < 0.7:  # created in HubSpot's UI by a user (API-created ones carry no user id)
            p["createdUserId"] = str(71000001 + rng.randrange(3))
            p["updatedUserId"] = p["createdUserId"] if updated == created else str(71000001 + rng.randrange(3))
        props.append(p)
    return groups, props


class ApiFail(Exception):
    """A HubSpot-style error answer raised from deep inside request handling."""

    def __init__(self, status, category, message, **extra):
        super().__init__(message)
        self.status = status
        self.category = category
        self.message = message
        self.extra = extra

    def reply(self):
        if self.category is None:  # HubSpot's "Unable to infer object type" answer carries no category
            return json_reply(self.status, {"status": "error", "message": self.message,
                                            "correlationId": correlation_id()})
        return api_error(self.status, self.category, self.message, **self.extra)

    def standard_error(self):
        """The StandardError item of a batch answer's errors array."""
        ctx = self.extra.get("context") or {}
        return {"status": "error", "category": self.category, "message": self.message, "context": ctx,
                "errors": [], "links": {}}


def _invalid(message, field=None, code="INVALID"):
    extra = {}
    if field is not None:
        extra["errors"] = [{"message": message, "in": field, "code": code}]
    return ApiFail(400, "VALIDATION_ERROR", message, **extra)


_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def valid_internal_name(name):
    return isinstance(name, str) and 0 < len(name) and name[0].isascii() and name[0].isalpha() \
        and name[0].islower() and set(name) <= _NAME_CHARS


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_fields(body, allowed, what):
    if not isinstance(body, dict):
        raise _invalid("Invalid input JSON on line 1, column 1: Cannot construct instance of `%s`: expected a JSON "
                       "object" % what)
    for k in body:
        if k not in allowed:
            raise _invalid("Invalid input JSON on line 1, column 1: Unrecognized field \"%s\" (class %s), not "
                           "marked as ignorable" % (k, what), k, "UNRECOGNIZED_FIELD")


def parse_options(raw, ptype, field="options", lenient=False):
    """OptionInput list -> stored options.  lenient (the /_sim controls only): displayOrder defaults to the
    option's position and hidden to false."""
    if not isinstance(raw, list):
        raise _invalid("options must be an array", field)
    out, seen = [], set()
    for i, o in enumerate(raw):
        check_fields(o, OPTION_FIELDS, "OptionInput")
        if lenient:
            o = dict({"displayOrder": i, "hidden": False}, **o)
        missing = [k for k in ("displayOrder", "hidden", "label", "value") if k not in o]
        if missing:
            raise _invalid("Invalid input JSON on line 1, column 1: Cannot build OptionInput, some of required "
                           "attributes are not set [%s]" % ", ".join(missing), field, "REQUIRED")
        if not isinstance(o["label"], str) or not o["label"].strip() or not isinstance(o["value"], str) \
                or not o["value"]:
            raise _invalid("Option %d needs a non-empty label and value" % i, field)
        if not isinstance(o["hidden"], bool) or not _is_int(o["displayOrder"]):
            raise _invalid("Option %d: hidden must be a boolean and displayOrder an integer" % i, field)
        if "description" in o and not isinstance(o["description"], str):
            raise _invalid("Option %d: description must be a string" % i, field)
        if o["value"] in seen:
            raise _invalid("Duplicate option value '%s'" % o["value"], field, "DUPLICATE")
        seen.add(o["value"])
        out.append({"label": o["label"], "value": o["value"], "description": o.get("description", ""),
                    "displayOrder": o["displayOrder"], "hidden": o["hidden"]})
    if ptype == "bool" and out and seen != {"true", "false"}:
        raise _invalid("A bool property has exactly the options 'true' and 'false'", field)
    return out


def _check_scalar_fields(body):
    for k in ("hasUniqueValue", "hidden", "formField", "externalOptions", "showCurrencySymbol"):
        if k in body and not isinstance(body[k], bool):
            raise _invalid("%s must be a boolean" % k, k)
    for k in ("description", "calculationFormula", "currencyPropertyName", "referencedObjectType"):
        if k in body and not isinstance(body[k], str):
            raise _invalid("%s must be a string" % k, k)
    if "displayOrder" in body and not _is_int(body["displayOrder"]):
        raise _invalid("displayOrder must be an integer", "displayOrder")
    if "numberDisplayHint" in body and body["numberDisplayHint"] not in NUMBER_DISPLAY_HINTS:
        raise _invalid("numberDisplayHint must be one of %s" % ", ".join(NUMBER_DISPLAY_HINTS), "numberDisplayHint")
    if "dataSensitivity" in body and body["dataSensitivity"] not in DATA_SENSITIVITIES:
        raise _invalid("dataSensitivity must be one of %s" % ", ".join(DATA_SENSITIVITIES), "dataSensitivity")


def _check_type_pair(ptype, field_type, body):
    if ptype not in PROPERTY_FIELD_TYPES:
        raise _invalid("type '%s' is not valid; use one of %s" % (ptype, ", ".join(sorted(PROPERTY_FIELD_TYPES))),
                       "type")
    if field_type not in PROPERTY_FIELD_TYPES[ptype]:
        raise _invalid("fieldType '%s' is not valid for a property of type '%s'; valid fieldType values: %s"
                       % (field_type, ptype, ", ".join(PROPERTY_FIELD_TYPES[ptype])), "fieldType")
    if field_type == "calculation_equation" and not (body.get("calculationFormula") or "").strip():
        raise _invalid("A calculation_equation property needs a calculationFormula", "calculationFormula")


def build_property(body, object_type, now_iso, extra_fields=(), lenient=False):
    """Validate a PropertyCreate body; -> the stored property (without the group / name-conflict checks)."""
    check_fields(body, PROPERTY_CREATE_FIELDS | set(extra_fields), "PropertyCreate")
    missing = [k for k in ("fieldType", "groupName", "label", "name", "type") if k not in body]
    if missing:
        raise _invalid("Invalid input JSON on line 1, column 1: Cannot build PropertyCreate, some of required "
                       "attributes are not set [%s]" % ", ".join(missing), missing[0], "REQUIRED")
    for k in ("fieldType", "groupName", "label", "name", "type"):
        if not isinstance(body[k], str) or not body[k].strip():
            raise _invalid("%s must be a non-empty string" % k, k)
    if not valid_internal_name(body["name"]):
        raise _invalid("Property name '%s' is not valid: it must start with a lowercase letter and contain only "
                       "lowercase letters, numbers and underscores" % body["name"], "name")
    _check_scalar_fields(body)
    ptype, field_type = body["type"], body["fieldType"]
    _check_type_pair(ptype, field_type, body)
    options = parse_options(body["options"], ptype, lenient=lenient) if "options" in body else []
    external = bool(body.get("externalOptions", False))
    if external and (ptype != "enumeration" or body.get("referencedObjectType") != "OWNER"):
        raise _invalid("externalOptions applies only to enumeration properties with referencedObjectType 'OWNER'",
                       "externalOptions")
    if ptype == "enumeration" and not options and not external and field_type != "calculation_equation":
        raise _invalid("Options are required for enumeration properties", "options", "REQUIRED")
    if options and ptype not in ("enumeration", "bool"):
        raise _invalid("Options are only valid for enumeration and bool properties", "options")
    if ptype == "bool" and not options:
        options = _opts(_YES_NO)
    p = {"name": body["name"], "label": body["label"], "type": ptype, "fieldType": field_type,
         "description": body.get("description", ""), "groupName": body["groupName"], "options": options,
         "displayOrder": body.get("displayOrder", -1), "calculated": False, "externalOptions": external,
         "hasUniqueValue": bool(body.get("hasUniqueValue", False)), "hidden": bool(body.get("hidden", False)),
         "formField": bool(body.get("formField", False)),
         "dataSensitivity": body.get("dataSensitivity", "non_sensitive"),
         "modificationMetadata": {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False,
                                  "readOnlyOptions": False},
         "createdAt": now_iso, "updatedAt": now_iso, "archived": False}
    for k in ("calculationFormula", "currencyPropertyName", "numberDisplayHint", "referencedObjectType",
              "showCurrencySymbol"):
        if k in body:
            p[k] = body[k]
    return p


def build_group(body):
    check_fields(body, GROUP_CREATE_FIELDS, "PropertyGroupCreate")
    missing = [k for k in ("label", "name") if k not in body]
    if missing:
        raise _invalid("Invalid input JSON on line 1, column 1: Cannot build PropertyGroupCreate, some of required "
                       "attributes are not set [%s]" % ", ".join(missing), missing[0], "REQUIRED")
    if not isinstance(body["label"], str) or not body["label"].strip():
        raise _invalid("label must be a non-empty string", "label")
    if not valid_internal_name(body["name"]):
        raise _invalid("Property group name '%s' is not valid: use only lowercase letters, numbers and "
                       "underscores, starting with a letter" % body["name"], "name")
    if "displayOrder" in body and not _is_int(body["displayOrder"]):
        raise _invalid("displayOrder must be an integer", "displayOrder")
    return {"name": body["name"], "label": body["label"], "displayOrder": body.get("displayOrder", -1),
            "archived": False}


def crm_object_type(raw):
    """'contacts' or '0-1' -> 'contacts'; anything else -> None."""
    if raw in CRM_OBJECT_TYPE_IDS:
        return raw
    return CRM_BY_TYPE_ID.get(raw)


def query_bool(qs, key):
    v = qs.get(key)
    if v is None or v == "":
        return False
    if v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise _invalid("%s must be true or false" % key, key)


def no_content():
    return Reply(204, b"", None, {"Cache-Control": "no-store"})


def property_view(p):
    """A stored property as the API shows it (a copy: never serialised outside the lock)."""
    v = dict(p)
    v["options"] = [dict(o) for o in p["options"]]
    v["modificationMetadata"] = dict(p["modificationMetadata"])
    return v


def correlation_id():
    return str(uuid.uuid4())


def default_roles(hub_id):
    """Every portal gets these three roles unless told otherwise. Role ids are strings, per the docs."""
    return [
        {"id": "%d01" % hub_id, "name": "Admin", "requiresBillingWrite": False},
        {"id": "%d02" % hub_id, "name": "Sales Rep", "requiresBillingWrite": True},
        {"id": "%d03" % hub_id, "name": "Marketing Manager", "requiresBillingWrite": False},
    ]


def new_access_token():
    # Opaque, ~150 characters (HubSpot says allow up to 300).
    return "C" + secrets.token_urlsafe(112)


def new_refresh_token():
    h = secrets.token_hex(16)
    return "na1-%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:32])


def new_code():
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def split_scopes(value):
    if not value:
        return []
    out = []
    for s in value.replace(",", " ").split():
        if s and s not in out:
            out.append(s)
    return out


def add_query(uri, params):
    s = urlsplit(uri)
    extra = urlencode(params, quote_via=quote)
    q = (s.query + "&" + extra) if s.query else extra
    return urlunsplit((s.scheme, s.netloc, s.path, q, ""))


def iso_now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ControlError(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status
        self.message = message


class Reply:
    """A fully computed HTTP answer."""

    __slots__ = ("status", "body", "ctype", "headers", "disconnect")

    def __init__(self, status, body=b"", ctype=None, headers=None, disconnect=False):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or {}
        self.disconnect = disconnect


def json_reply(status, obj, headers=None):
    body = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    h = {"Cache-Control": "no-store"}
    if isinstance(obj, dict) and "correlationId" in obj:
        h["X-HubSpot-Correlation-Id"] = obj["correlationId"]
    if headers:
        h.update(headers)
    return Reply(status, body, "application/json;charset=utf-8", h)


def html_reply(status, page, headers=None):
    h = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": "default-src 'none'; "
         "style-src 'unsafe-inline'; form-action *"}
    if headers:
        h.update(headers)
    return Reply(status, page.encode("utf-8"), "text/html; charset=utf-8", h)


def oauth_error(status_code, hs_status, message, error, description):
    return json_reply(status_code, {"status": hs_status, "message": message, "correlationId": correlation_id(),
                                    "error": error, "error_description": description})


def api_error(status_code, category, message, **extra):
    body = {"status": "error", "message": message, "correlationId": correlation_id(), "category": category}
    body.update(extra)
    return json_reply(status_code, body)


def request_error(status_code, message):
    """Validation error on an OAuth endpoint (wrong content type, query string, missing field)."""
    return json_reply(status_code, {"status": "error", "message": message, "correlationId": correlation_id(),
                                    "category": "VALIDATION_ERROR", "error": "invalid_request",
                                    "error_description": message})


E = html.escape

PAGE_STYLE = """
body{font-family:Lexend Deca,Helvetica,Arial,sans-serif;background:#f5f8fa;color:#33475b;margin:0}
header{background:#ff7a59;color:#fff;padding:12px 24px;font-weight:bold}
main{max-width:640px;margin:32px auto;background:#fff;border:1px solid #cbd6e2;border-radius:4px;padding:24px 32px}
.account{border:1px solid #cbd6e2;border-radius:3px;padding:10px;margin:6px 0}
.portal-domain,.portal-hub-id{color:#7c98b6;margin-left:8px}
button{padding:9px 18px;border-radius:3px;border:1px solid #ff7a59;font-size:14px;margin-right:8px}
#connect-app{background:#ff7a59;color:#fff}#cancel{background:#fff;color:#ff7a59}
.scopes li{font-family:monospace}
"""


def page(title, inner):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>%s</title><style>%s</style></head>\n<body><header>HubSpot <small>(simulator)</small></header>\n"
            "<main>%s</main></body></html>\n" % (E(title), PAGE_STYLE, inner))


def error_page(status, heading, message):
    inner = ("<h1 id=\"error-heading\">%s</h1>\n<p id=\"error-message\">%s</p>\n" % (E(heading), E(message)))
    return html_reply(status, page(heading, inner))


class Sim:
    """All simulator state, guarded by one lock. Never sleeps while holding the lock."""

    def __init__(self, client_id, client_secret, app_id, app_name, seed, latency_ms, log_max):
        self.lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = app_id
        self.app_name = app_name
        self.default_seed = seed
        self.base_latency_ms = latency_ms
        self.log = collections.deque(maxlen=log_max)
        self.log_seq = 0
        self.reset(seed)

    # ------------------------------------------------------------------ state
    def reset(self, seed):
        if seed not in ("demo", "empty"):
            raise ControlError("seed must be 'demo' or 'empty'")
        with self.lock:
            self.config = {"latency_ms": self.base_latency_ms, "access_token_ttl": ACCESS_TOKEN_TTL,
                           "code_ttl": CODE_TTL, "burst_limit": DEFAULT_BURST_LIMIT,
                           "burst_window_ms": DEFAULT_BURST_WINDOW_MS, "rotate_refresh_tokens": False}
            self.rate_windows = {}
            self.clock_offset = 0.0
            self.portals = {}
            self.users = {}
            self.email_index = {}
            self.browser_user = None
            self.codes = {}
            self.grants = {}
            self.grant_seq = 0
            self.refresh_index = {}
            self.access_index = {}
            self.faults = []
            self.fault_seq = 0
            self.next_user_id = 71000100
            self.log.clear()
            self.reset_stats()
            self.seed = seed
            if seed == "demo":
                self._seed_demo()

    def reset_stats(self):
        with self.lock:
            self.stats = {
                "token_calls": {"total": 0, "by_grant_type": collections.Counter(), "by_hub_id": {}},
                "token_successes": {"total": 0, "by_grant_type": collections.Counter(), "by_hub_id": {}},
                "calls_by_endpoint": collections.Counter(),
                "faults_injected": collections.Counter(),
                "rate_limited": {"total": 0, "by_hub_id": collections.Counter()},
                "api_calls_by_hub": {},
                # calls waiting out their latency at the same moment, by endpoint
                "in_flight": collections.Counter(),
                "in_flight_max": collections.Counter(),
            }

    def now(self):
        return time.time() + self.clock_offset

    def _seed_demo(self):
        for hub_id, name, domain in DEMO_PORTALS:
            self._upsert_portal({"hub_id": hub_id, "name": name, "domain": domain})
        all_hubs = [p[0] for p in DEMO_PORTALS]
        self._upsert_user({"user_id": "71000001", "email": "alex@agency.example", "first_name": "Alex",
                           "last_name": "Morgan",
                           "portals": {str(h): {"super_admin": True, "role_ids": []} for h in all_hubs}})
        sam = {str(h): {"super_admin": False, "role_names": ["Admin"]} for h in all_hubs[:3]}
        sam[str(all_hubs[3])] = {"super_admin": False, "role_names": ["Marketing Manager"]}
        self._upsert_user({"user_id": "71000002", "email": "sam@agency.example", "first_name": "Sam",
                           "last_name": "Patel", "portals": sam})
        self._upsert_user({"user_id": "71000003", "email": "riley@agency.example", "first_name": "Riley",
                           "last_name": "Chen",
                           "portals": {str(h): {"super_admin": False, "role_names": ["Sales Rep"],
                                                "primary_team_id": "81000001"} for h in all_hubs}})
        for uid, email, first, last, hub, super_admin, roles in DEMO_PORTAL_USERS:
            self._upsert_user({"user_id": uid, "email": email, "first_name": first, "last_name": last,
                               "portals": {str(hub): {"super_admin": super_admin, "role_names": roles}}})
        self.browser_user = "71000001"
        for hub, per_object in DEMO_CUSTOM_PROPERTIES.items():
            self.generate_properties(self.portals[hub], per_object, "demo-%d" % hub, CRM_OBJECTS)
        self.load_custom_schema(self.portals[20001001], DEMO_ACME_COMPANY_FINDINGS)

    # ------------------------------------------------------------ entities
    def _int_hub(self, value):
        try:
            hub = int(value)
        except (TypeError, ValueError):
            raise ControlError("hub_id must be an integer")
        if hub <= 0:
            raise ControlError("hub_id must be positive")
        return hub

    def _portal(self, hub_id):
        p = self.portals.get(self._int_hub(hub_id))
        if p is None:
            raise ControlError("unknown portal %s" % hub_id, 404)
        return p

    def _find_user(self, key):
        """Find a user by id (str/int) or email."""
        if key is None:
            return None
        k = str(key).strip()
        if k in self.users:
            return self.users[k]
        uid = self.email_index.get(k.lower())
        return self.users.get(uid) if uid else None

    def _user(self, key):
        u = self._find_user(key)
        if u is None:
            raise ControlError("unknown user %s" % key, 404)
        return u

    def _upsert_portal(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("portal must be an object")
        hub = self._int_hub(spec.get("hub_id"))
        p = self.portals.get(hub)
        if p is None:
            p = {"hub_id": hub, "name": "Portal %d" % hub, "domain": "portal-%d.example.com" % hub,
                 "withheld_scopes": [], "roles": default_roles(hub), "app_state": "not_installed"}
            self.portals[hub] = p
        for key in ("name", "domain"):
            if key in spec:
                if not isinstance(spec[key], str) or not spec[key]:
                    raise ControlError("%s must be a non-empty string" % key)
                p[key] = spec[key]
        if "withheld_scopes" in spec:
            ws = spec["withheld_scopes"]
            if not isinstance(ws, list) or not all(isinstance(s, str) for s in ws):
                raise ControlError("withheld_scopes must be a list of strings")
            p["withheld_scopes"] = sorted(set(ws))
        if "roles" in spec:
            p["roles"] = self._parse_roles(spec["roles"])
        if "app_state" in spec:
            if spec["app_state"] not in ("not_installed", "installed", "uninstalled"):
                raise ControlError("app_state must be not_installed, installed or uninstalled")
            p["app_state"] = spec["app_state"]
        members = spec.get("members")
        if members is not None:
            if not isinstance(members, dict):
                raise ControlError("members must be an object keyed by user id or email")
            for key, m in members.items():
                u = self._user(key)
                self._set_membership(u, hub, m)
        return p

    def _parse_roles(self, roles):
        if not isinstance(roles, list):
            raise ControlError("roles must be a list")
        out, seen = [], set()
        for r in roles:
            if not isinstance(r, dict) or "id" not in r or not isinstance(r.get("name"), str):
                raise ControlError("each role needs id and name")
            rid = str(r["id"])
            if rid in seen:
                raise ControlError("duplicate role id %s" % rid)
            seen.add(rid)
            out.append({"id": rid, "name": r["name"], "requiresBillingWrite": bool(r.get("requiresBillingWrite",
                                                                                          False))})
        return out

    def _set_membership(self, user, hub, m):
        portal = self.portals.get(hub)
        if portal is None:
            raise ControlError("unknown portal %s" % hub, 404)
        if m is None or m is False:
            self._remove_membership(user, hub)
            return
        if not isinstance(m, dict):
            raise ControlError("membership must be an object")
        role_ids = []
        known = {r["id"]: r for r in portal["roles"]}
        by_name = {r["name"].lower(): r["id"] for r in portal["roles"]}
        for rid in m.get("role_ids", []) or []:
            rid = str(rid)
            if rid not in known:
                raise ControlError("role id %s does not exist on portal %d" % (rid, hub))
            if rid not in role_ids:
                role_ids.append(rid)
        for name in m.get("role_names", []) or []:
            rid = by_name.get(str(name).lower())
            if rid is None:
                raise ControlError("role %r does not exist on portal %d" % (name, hub))
            if rid not in role_ids:
                role_ids.append(rid)
        entry = {"super_admin": bool(m.get("super_admin", False)), "role_ids": role_ids}
        if m.get("primary_team_id") is not None:
            entry["primary_team_id"] = str(m["primary_team_id"])
        if m.get("secondary_team_ids"):
            entry["secondary_team_ids"] = [str(t) for t in m["secondary_team_ids"]]
        user["portals"][hub] = entry

    def _remove_membership(self, user, hub):
        if hub in user["portals"]:
            del user["portals"][hub]
            for g in self.grants.values():
                if g["user_id"] == user["id"] and g["hub_id"] == hub and g["status"] in ("active",
                                                                                          "refresh_invalidated"):
                    g["status"] = "user_removed"

    def _upsert_user(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("user must be an object")
        uid = spec.get("user_id", spec.get("id"))
        email = spec.get("email")
        user = None
        if uid is not None:
            uid = str(uid).strip()
            if not uid.isdigit():
                raise ControlError("user_id must be digits (HubSpot user ids are numeric strings)")
            user = self.users.get(uid)
        if user is None and email:
            user = self._find_user(email)
            if user is not None and uid is not None and user["id"] != uid:
                raise ControlError("email %s already belongs to user %s" % (email, user["id"]))
        if user is None:
            if not isinstance(email, str) or "@" not in email:
                raise ControlError("a new user needs an email")
            if uid is None:
                while str(self.next_user_id) in self.users:
                    self.next_user_id += 1
                uid = str(self.next_user_id)
                self.next_user_id += 1
            user = {"id": uid, "email": email, "first_name": None, "last_name": None, "active": True,
                    "portals": {}}
            self.users[uid] = user
            self.email_index[email.lower()] = uid
        if email and email.lower() != user["email"].lower():
            if self.email_index.get(email.lower(), user["id"]) != user["id"]:
                raise ControlError("email %s already in use" % email)
            self.email_index.pop(user["email"].lower(), None)
            user["email"] = email
            self.email_index[email.lower()] = user["id"]
        for key in ("first_name", "last_name"):
            if key in spec:
                user[key] = spec[key]
        if "active" in spec:
            if spec["active"]:
                user["active"] = True
            else:
                self._deactivate(user)
        portals = spec.get("portals")
        if portals is not None:
            if not isinstance(portals, dict):
                raise ControlError("portals must be an object keyed by hub id")
            if spec.get("replace_portals"):
                for hub in list(user["portals"]):
                    if str(hub) not in portals:
                        self._remove_membership(user, hub)
            for hub_key, m in portals.items():
                self._set_membership(user, self._int_hub(hub_key), m)
        return user

    def _deactivate(self, user):
        user["active"] = False
        for g in self.grants.values():
            if g["user_id"] == user["id"] and g["status"] in ("active", "refresh_invalidated"):
                g["status"] = "user_deactivated"

    # ------------------------------------------------------------- views
    def portal_view(self, p, with_members=True):
        v = {"hub_id": p["hub_id"], "name": p["name"], "domain": p["domain"],
             "withheld_scopes": list(p["withheld_scopes"]), "roles": [dict(r) for r in p["roles"]],
             "app_state": p["app_state"]}
        if with_members:
            v["members"] = {u["id"]: self._membership_view(u["portals"][p["hub_id"]])
                            for u in self.users.values() if p["hub_id"] in u["portals"]}
        return v

    @staticmethod
    def _membership_view(m):
        v = {"super_admin": m["super_admin"], "role_ids": list(m["role_ids"])}
        if m.get("primary_team_id"):
            v["primary_team_id"] = m["primary_team_id"]
        return v

    def user_sim_view(self, u):
        return {"user_id": u["id"], "email": u["email"], "first_name": u["first_name"], "last_name": u["last_name"],
                "active": u["active"],
                "portals": {str(h): self._membership_view(m) for h, m in sorted(u["portals"].items())}}

    def grant_view(self, g):
        now = self.now()
        valid_access = 0
        for rec in g["access_tokens"]:
            a = self.access_index.get(rec)
            if a and not a["revoked"] and a["expires_at"] > now and g["status"] in ("active", "refresh_invalidated"):
                valid_access += 1
        return {"grant_id": g["id"], "hub_id": g["hub_id"], "user_id": g["user_id"], "scopes": list(g["scopes"]),
                "status": g["status"], "refresh_token_valid": g["status"] == "active",
                "valid_access_tokens": valid_access, "refresh_count": g["refresh_count"],
                "rotations": g["rotations"], "created_at": g["created_at"], "source": g["source"]}

    # ------------------------------------------------------------ tokens
    def _create_grant(self, hub, user, scopes, source):
        self.grant_seq += 1
        gid = "g%d" % self.grant_seq
        rt = new_refresh_token()
        g = {"id": gid, "hub_id": hub, "user_id": user["id"], "scopes": sorted(set(scopes)),
             "client_id": self.client_id, "refresh_token": rt, "status": "active", "created_at": self.now(),
             "refresh_count": 0, "rotations": 0, "access_tokens": [], "source": source}
        self.grants[gid] = g
        self.refresh_index[rt] = gid
        portal = self.portals[hub]
        portal["app_state"] = "installed"
        return g

    def _mint_access(self, g):
        at = new_access_token()
        self.access_index[at] = {"grant": g["id"], "expires_at": self.now() + self.config["access_token_ttl"],
                                 "revoked": False, "issued_at": self.now()}
        g["access_tokens"].append(at)
        return at

    def _token_answer(self, g, at, include_refresh=True):
        body = {"access_token": at}
        if include_refresh:
            body["refresh_token"] = g["refresh_token"]
        body.update({"expires_in": int(self.config["access_token_ttl"]), "token_type": "bearer",
                     "token_use": "access_token", "hub_id": g["hub_id"], "user_id": int(g["user_id"]),
                     "scopes": list(g["scopes"])})
        return body

    def mint_grant(self, spec):
        """/_sim/grants: create portal/user/membership when missing, then a grant with exactly these scopes."""
        if not isinstance(spec, dict):
            raise ControlError("grant must be an object")
        hub = self._int_hub(spec.get("hub_id"))
        scopes = spec.get("scopes")
        if isinstance(scopes, str):
            scopes = split_scopes(scopes)
        if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str) for s in scopes):
            raise ControlError("scopes must be a non-empty list of strings")
        if hub not in self.portals:
            self._upsert_portal({"hub_id": hub, **{k: spec[k] for k in ("name", "domain") if k in spec}})
        user = None
        if spec.get("user_id") is not None:
            user = self._find_user(str(spec["user_id"]))
        if user is None and spec.get("user_email"):
            user = self._find_user(spec["user_email"])
        if user is None:
            if not spec.get("user_email"):
                raise ControlError("user_email or a known user_id is required")
            user = self._upsert_user({"email": spec["user_email"],
                                      **({"user_id": spec["user_id"]} if spec.get("user_id") is not None else {})})
        if not user["active"]:
            raise ControlError("user %s is deactivated" % user["id"], 409)
        if hub not in user["portals"]:
            self._set_membership(user, hub, {"super_admin": bool(spec.get("super_admin", True)),
                                             "role_ids": spec.get("role_ids", []),
                                             "role_names": spec.get("role_names", [])})
        g = self._create_grant(hub, user, scopes, "sim")
        at = self._mint_access(g)
        return self._token_answer(g, at)

    def classify_access(self, token):
        """-> (grant, None) when valid, else (None, 'missing'|'invalid'|'expired', expired_seconds)."""
        rec = self.access_index.get(token)
        if rec is None:
            return None, "invalid", 0
        g = self.grants.get(rec["grant"])
        if g is None or rec["revoked"] or g["status"] not in ("active", "refresh_invalidated"):
            return None, "invalid", 0
        now = self.now()
        if now >= rec["expires_at"]:
            return None, "expired", now - rec["expires_at"]
        return g, None, rec["expires_at"] - now


    # ------------------------------------------------------------ rate limit
    def rate_take(self, hub):
        """One API call of (this app, hub) in the rolling burst window. Lock held.  -> (allowed, headers)."""
        limit = int(self.config["burst_limit"])
        window_ms = float(self.config["burst_window_ms"])
        now = self.now()
        dq = self.rate_windows.setdefault((self.app_id, hub), collections.deque())
        cutoff = now - window_ms / 1000.0
        while dq and dq[0] <= cutoff:
            dq.popleft()
        headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": str(int(window_ms)),
                   "X-HubSpot-RateLimit-Max": str(limit)}
        if len(dq) >= limit:
            headers["X-HubSpot-RateLimit-Remaining"] = "0"
            st = self.stats["rate_limited"]
            st["total"] += 1
            st["by_hub_id"][str(hub)] += 1
            return False, headers
        dq.append(now)
        headers["X-HubSpot-RateLimit-Remaining"] = str(limit - len(dq))
        return True, headers

    def rate_limit_reply(self, headers):
        return json_reply(429, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                "errorType": "RATE_LIMIT", "correlationId": correlation_id(),
                                "policyName": "TEN_SECONDLY_ROLLING", "requestId": correlation_id(),
                                "groupName": "publicapi:oauth:%d" % self.app_id}, dict(headers))

    def count_api_call(self, hub, ep):
        self.stats["api_calls_by_hub"].setdefault(str(hub), collections.Counter())[ep] += 1

    # ------------------------------------------------------------ CRM properties
    @staticmethod
    def crm_state(portal, ot):
        crm = portal.setdefault("crm", {})
        st = crm.get(ot)
        if st is None:
            st = crm[ot] = {"groups": {}, "props": {}, "overrides": {}}
        return st

    def crm_property(self, portal, ot, name, archived=False):
        """The stored property (custom, or HubSpot-defined with this portal's edits), or None."""
        st = self.crm_state(portal, ot)
        p = st["props"].get(name)
        if p is not None:
            return p if p["archived"] == archived else None
        if archived:
            return None
        return st["overrides"].get(name) or DEFAULT_PROPERTY_INDEX[ot].get(name)

    def crm_name_taken(self, portal, ot, name):
        return name in self.crm_state(portal, ot)["props"] or name in DEFAULT_PROPERTY_INDEX[ot]

    def crm_properties(self, portal, ot, archived=False):
        st = self.crm_state(portal, ot)
        out = [] if archived else [st["overrides"].get(p["name"], p) for p in DEFAULT_PROPERTIES[ot]]
        out.extend(p for p in st["props"].values() if p["archived"] == archived)
        return out

    def crm_groups(self, portal, ot):
        st = self.crm_state(portal, ot)
        out = [{"name": n, "label": label, "displayOrder": i, "archived": False}
               for i, (n, label) in enumerate(DEFAULT_GROUPS[ot])]
        out.extend(dict(g) for g in st["groups"].values() if not g["archived"])
        return out

    def crm_group(self, portal, ot, name):
        for i, (n, label) in enumerate(DEFAULT_GROUPS[ot]):
            if n == name:
                return {"name": n, "label": label, "displayOrder": i, "archived": False}
        g = self.crm_state(portal, ot)["groups"].get(name)
        return g if g is not None and not g["archived"] else None

    def crm_unique_count(self, portal, ot):
        return sum(1 for p in self.crm_state(portal, ot)["props"].values() if p["hasUniqueValue"]
                   and not p["archived"])

    def set_custom_schema(self, portal, ot, groups, props):
        st = self.crm_state(portal, ot)
        st["groups"] = {g["name"]: g for g in groups}
        st["props"] = {p["name"]: p for p in props}

    def generate_properties(self, portal, per_object, seed, object_types):
        out = {}
        for ot in object_types:
            groups, props = generate_custom_schema(ot, per_object, seed)
            self.set_custom_schema(portal, ot, groups, props)
            out[ot] = {"groups": [g["name"] for g in groups], "properties": len(props)}
        return out

    def sim_properties_view(self, portal, object_types, include_defaults):
        objects = {}
        for ot in object_types:
            st = self.crm_state(portal, ot)
            groups = [dict(g) for g in st["groups"].values()]
            props = [property_view(p) for p in st["props"].values()]
            entry = {"groups": groups, "properties": props}
            if include_defaults:
                entry["hubspot_defined_groups"] = [g for g in self.crm_groups(portal, ot)
                                                   if g["name"] in DEFAULT_GROUP_NAMES[ot]]
                entry["hubspot_defined_properties"] = [property_view(st["overrides"].get(p["name"], p))
                                                       for p in DEFAULT_PROPERTIES[ot]]
            objects[ot] = entry
        return {"hub_id": portal["hub_id"], "objects": objects}

    def load_custom_schema(self, portal, data):
        """/_sim/portals/{hub}/properties: set (replace: true, the default) or merge a portal's custom groups and
        properties for one or more object types; validated with the API's own rules."""
        if not isinstance(data, dict):
            raise ControlError("body must be an object")
        if "objects" in data:
            objects = data["objects"]
            if not isinstance(objects, dict):
                raise ControlError("objects must be an object keyed by object type")
        else:
            objects = {data.get("object_type"): {"groups": data.get("groups", []),
                                                 "properties": data.get("properties", [])}}
        replace = data.get("replace", True)
        if not isinstance(replace, bool):
            raise ControlError("replace must be a boolean")
        staged = {}
        for raw_ot, spec in objects.items():
            ot = crm_object_type(raw_ot)
            if ot is None:
                raise ControlError("object_type must be one of %s (or %s)" % (
                    ", ".join(CRM_OBJECTS), ", ".join(CRM_BY_TYPE_ID)))
            if not isinstance(spec, dict):
                raise ControlError("each object entry must be an object with groups and properties")
            st = self.crm_state(portal, ot)
            groups = {} if replace else {n: g for n, g in st["groups"].items()}
            props = {} if replace else {n: p for n, p in st["props"].items()}
            for g in spec.get("groups", []) or []:
                try:
                    grp = build_group(g)
                except ApiFail as e:
                    raise ControlError("%s group: %s" % (ot, e.message))
                if grp["name"] in DEFAULT_GROUP_NAMES[ot]:
                    raise ControlError("%s group %s is HubSpot-defined" % (ot, grp["name"]))
                groups[grp["name"]] = grp
            now = iso_ms(self.now())
            for raw in spec.get("properties", []) or []:
                try:
                    p = build_property(raw, ot, now, ("createdAt", "updatedAt", "archived", "createdUserId",
                                                      "updatedUserId"), lenient=True)
                except ApiFail as e:
                    raise ControlError("%s property %s: %s" % (ot, raw.get("name") if isinstance(raw, dict)
                                                               else "?", e.message))
                if p["name"] in DEFAULT_PROPERTY_INDEX[ot]:
                    raise ControlError("%s property %s is HubSpot-defined" % (ot, p["name"]))
                if p["groupName"] not in groups and p["groupName"] not in DEFAULT_GROUP_NAMES[ot]:
                    raise ControlError("%s property %s: group %s does not exist" % (ot, p["name"], p["groupName"]))
                for k in ("createdAt", "updatedAt", "createdUserId", "updatedUserId"):
                    if k in raw:
                        if not isinstance(raw[k], str):
                            raise ControlError("%s must be a string" % k)
                        p[k] = raw[k]
                if raw.get("archived"):
                    p["archived"] = True
                    p["archivedAt"] = p["updatedAt"]
                props[p["name"]] = p
            if sum(1 for p in props.values() if p["hasUniqueValue"] and not p["archived"]) > MAX_UNIQUE_PROPERTIES:
                raise ControlError("%s: at most %d unique value properties" % (ot, MAX_UNIQUE_PROPERTIES))
            staged[ot] = (list(groups.values()), list(props.values()))
        for ot, (groups, props) in staged.items():
            self.set_custom_schema(portal, ot, groups, props)
        return {"hub_id": portal["hub_id"],
                "objects": {ot: {"groups": len(g), "properties": len(p)} for ot, (g, p) in staged.items()}}

    # ------------------------------------------------------------ faults
    def add_fault(self, spec):
        if not isinstance(spec, dict):
            raise ControlError("fault must be an object")
        ep = spec.get("endpoint", "all")
        if ep not in ENDPOINTS:
            raise ControlError("endpoint must be one of %s" % ", ".join(ENDPOINTS))
        status = spec.get("status")
        if status is not None:
            if not isinstance(status, int) or not 400 <= status <= 599:
                raise ControlError("status must be an HTTP error status (400-599)")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ControlError("count must be a positive integer or null (until cleared)")
        latency = spec.get("latency_ms", 0) or 0
        if not isinstance(latency, (int, float)) or latency < 0:
            raise ControlError("latency_ms must be >= 0")
        f = {"endpoint": ep, "status": status, "count": count, "latency_ms": latency,
             "omit_refresh_token": bool(spec.get("omit_refresh_token")),
             "rotate_refresh_token": bool(spec.get("rotate_refresh_token")),
             "disconnect": bool(spec.get("disconnect")), "redirect_error": spec.get("redirect_error"),
             "body": spec.get("body"), "headers": spec.get("headers"), "retry_after": spec.get("retry_after")}
        if f["body"] is not None and not isinstance(f["body"], dict):
            raise ControlError("body must be an object")
        if f["headers"] is not None and not isinstance(f["headers"], dict):
            raise ControlError("headers must be an object")
        if f["status"] is not None or f["disconnect"]:
            f["kind"] = "response"
        elif f["omit_refresh_token"] or f["rotate_refresh_token"]:
            if ep not in ("token", "all"):
                raise ControlError("omit_refresh_token/rotate_refresh_token apply to endpoint 'token'")
            f["kind"] = "refresh_modifier"
        elif f["redirect_error"]:
            if ep != "authorize":
                raise ControlError("redirect_error applies to endpoint 'authorize'")
            f["kind"] = "redirect_error"
        elif latency > 0:
            f["kind"] = "latency"
        else:
            raise ControlError("a fault needs status, disconnect, latency_ms, omit_refresh_token, "
                               "rotate_refresh_token or redirect_error")
        with self.lock:
            self.fault_seq += 1
            f["id"] = self.fault_seq
            self.faults.append(f)
            return dict(f)

    def _consume(self, f):
        if f["count"] is not None:
            f["count"] -= 1
            if f["count"] <= 0:
                self.faults = [x for x in self.faults if x is not f]

    def plan_faults(self, ep):
        """Decide latency and an injected error answer for one HubSpot-facing request."""
        with self.lock:
            latency = float(self.config["latency_ms"])
            chosen = None
            for f in list(self.faults):
                if f["endpoint"] not in (ep, "all"):
                    continue
                if f["kind"] == "latency":
                    latency += f["latency_ms"]
                    self._consume(f)
                elif f["kind"] == "response" and chosen is None:
                    chosen = dict(f)
                    latency += f["latency_ms"]
                    self._consume(f)
            if chosen is not None:
                self.stats["faults_injected"][ep] += 1
            return latency / 1000.0, chosen

    def take_fault(self, kind, ep):
        with self.lock:
            for f in list(self.faults):
                if f["kind"] == kind and f["endpoint"] in (ep, "all"):
                    out = dict(f)
                    self._consume(f)
                    return out
            return None

    def fault_reply(self, f, ep):
        if f["disconnect"]:
            return Reply(0, disconnect=True)
        status = f["status"]
        headers = dict(f["headers"] or {})
        if f.get("retry_after") is not None:
            headers["Retry-After"] = str(f["retry_after"])
        if ep == "authorize" and f["body"] is None:
            return error_page(status, "Couldn't complete the connection",
                              "HubSpot is having trouble right now (HTTP %d). Please try again later." % status)
        if f["body"] is not None:
            body = dict(f["body"])
            body.setdefault("correlationId", correlation_id())
            return json_reply(status, body, headers)
        if status == 429:
            headers.setdefault("X-HubSpot-RateLimit-Interval-Milliseconds", str(int(self.config["burst_window_ms"])))
            headers.setdefault("X-HubSpot-RateLimit-Max", str(int(self.config["burst_limit"])))
            headers.setdefault("X-HubSpot-RateLimit-Remaining", "0")
            return json_reply(429, {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                    "errorType": "RATE_LIMIT", "correlationId": correlation_id(),
                                    "policyName": "TEN_SECONDLY_ROLLING", "requestId": correlation_id(),
                                    "groupName": "publicapi:oauth:%d" % self.app_id}, headers)
        if status >= 500:
            cat = FAULT_CATEGORIES.get(status, "INTERNAL_ERROR")
            msg = {503: "The service is temporarily unavailable. Please try again later.",
                   504: "The request timed out upstream. Please try again later."}.get(
                status, "An internal error occurred. Please try again later.")
            return json_reply(status, {"status": "error", "message": msg, "correlationId": correlation_id(),
                                       "category": cat}, headers)
        return json_reply(status, {"status": "error", "message": "Injected error (HTTP %d)" % status,
                                   "correlationId": correlation_id(), "category": "VALIDATION_ERROR"}, headers)

    # ------------------------------------------------------------ log
    def safe_path(self, path):
        segs = path.split("/")
        out = []
        for s in segs:
            if len(s) >= 32 or s in self.access_index or s in self.refresh_index or s in self.codes \
                    or s == self.client_secret:
                out.append("{redacted}")
            elif "@" in unquote(s):
                out.append("{email}")
            else:
                out.append(s)
        return "/".join(out)

    def record(self, entry):
        with self.lock:
            self.log_seq += 1
            entry["seq"] = self.log_seq
            entry["path"] = self.safe_path(entry["path"])
            self.log.append(entry)

    # ------------------------------------------------------------ stats
    def count_token_call(self, which, grant_type, hub):
        st = self.stats[which]
        st["total"] += 1
        st["by_grant_type"][grant_type] += 1
        key = str(hub) if hub is not None else "unknown"
        st["by_hub_id"].setdefault(key, collections.Counter())[grant_type] += 1

    def stats_view(self, hub_filter=None):
        with self.lock:
            now = self.now()
            per_hub = {}
            for g in self.grants.values():
                d = per_hub.setdefault(str(g["hub_id"]), {"valid_refresh_tokens": 0, "valid_access_tokens": 0,
                                                          "grants": 0})
                d["grants"] += 1
                if g["status"] == "active":
                    d["valid_refresh_tokens"] += 1
            for a in self.access_index.values():
                if a["revoked"] or a["expires_at"] <= now:
                    continue
                g = self.grants.get(a["grant"])
                if g and g["status"] in ("active", "refresh_invalidated"):
                    per_hub[str(g["hub_id"])]["valid_access_tokens"] += 1

            def conv(st):
                return {"total": st["total"], "by_grant_type": dict(st["by_grant_type"]),
                        "by_hub_id": {h: dict(c) for h, c in st["by_hub_id"].items()
                                      if hub_filter is None or h == hub_filter}}
            out = {"token_calls": conv(self.stats["token_calls"]),
                   "token_successes": conv(self.stats["token_successes"]),
                   "calls_by_endpoint": dict(self.stats["calls_by_endpoint"]),
                   "faults_injected": dict(self.stats["faults_injected"]),
                   "in_flight_max": dict(self.stats["in_flight_max"]),
                   "in_flight": dict(self.stats["in_flight"]),
                   "tokens_by_hub": {h: v for h, v in per_hub.items() if hub_filter is None or h == hub_filter},
                   "rate_limited": {"total": self.stats["rate_limited"]["total"],
                                    "by_hub_id": {h: n for h, n in self.stats["rate_limited"]["by_hub_id"].items()
                                                  if hub_filter is None or h == hub_filter}},
                   "api_calls_by_hub": {h: dict(c) for h, c in self.stats["api_calls_by_hub"].items()
                                        if hub_filter is None or h == hub_filter}}
            return out

    def state_view(self, hub_filter=None):
        with self.lock:
            portals = [self.portal_view(p) for h, p in sorted(self.portals.items())
                       if hub_filter is None or h == hub_filter]
            users = [self.user_sim_view(u) for _, u in sorted(self.users.items())]
            grants = [self.grant_view(g) for g in self.grants.values()
                      if hub_filter is None or g["hub_id"] == hub_filter]
            now = self.now()
            return {"seed": self.seed, "client_id": self.client_id, "app_id": self.app_id, "app_name": self.app_name,
                    "now": now, "clock_offset_seconds": self.clock_offset, "config": dict(self.config),
                    "browser_user": self.users[self.browser_user]["email"] if self.browser_user in self.users
                    else None,
                    "portals": portals, "users": users, "grants": grants,
                    "outstanding_codes": sum(1 for c in self.codes.values() if not c["used"]
                                             and c["expires_at"] > now),
                    "faults": [dict(f) for f in self.faults]}


# ====================================================================== HTTP
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hubspot-sim/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are dropped after this

    def log_message(self, fmt, *args):  # never log request lines (they could carry secrets)
        pass

    def log_error(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    @property
    def sim(self):
        return self.server.sim

    # ------------------------------------------------------------- plumbing
    def _read_body(self, limit):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ValueError("truncated chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > limit:
                    raise OverflowError()
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise ValueError("bad Content-Length")
        if n < 0:
            raise ValueError("bad Content-Length")
        if n > limit:
            raise OverflowError()
        data = self.rfile.read(n)
        if len(data) != n:
            raise ValueError("truncated body")
        return data

    def _send(self, reply):
        if reply.disconnect:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            if reply.ctype:
                self.send_header("Content-Type", reply.ctype)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            body = reply.body if self.command != "HEAD" else b""
            self.send_header("Content-Length", str(len(reply.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            # Headers and body in ONE write: avoids Nagle/delayed-ACK stalls on keep-alive connections.
            self._headers_buffer.append(b"\r\n")
            self._headers_buffer.append(body)
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_PATCH(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def _dispatch(self):
        started = time.monotonic()
        split = urlsplit(self.path)
        path = split.path or "/"
        is_sim = path == "/_sim" or path.startswith("/_sim/")
        try:
            body = self._read_body(MAX_SIM_BODY if is_sim else MAX_API_BODY)
        except OverflowError:
            self.close_connection = True
            self._send(json_reply(413, {"status": "error", "message": "Request body too large",
                                        "correlationId": correlation_id(), "category": "VALIDATION_ERROR"}))
            return
        except ValueError as e:
            self.close_connection = True
            self._send(json_reply(400, {"status": "error", "message": "Malformed request: %s" % e,
                                        "correlationId": correlation_id(), "category": "VALIDATION_ERROR"}))
            return
        if is_sim:
            try:
                reply = self._control(path, split.query, body)
            except ControlError as e:
                reply = json_reply(e.status, {"error": e.message})
            except Exception as e:  # pragma: no cover - defensive
                reply = json_reply(500, {"error": "internal simulator error: %s" % type(e).__name__})
            self._send(reply)
            return
        self._hubspot(path, split.query, body, started)

    # ------------------------------------------------------------- HubSpot side
    @staticmethod
    def _endpoint(method, path):
        if path in ("/oauth/authorize", "/oauth/authorize/decision"):
            return "authorize"
        if path == "/oauth/2026-03/token":
            return "token"
        if path == "/oauth/2026-03/token/introspect":
            return "introspect"
        if path == "/oauth/2026-03/token/revoke":
            return "revoke"
        if path == "/settings/users/2026-03" or path.startswith("/settings/users/2026-03/"):
            return "users"
        if path.startswith(CRM_API_PREFIX):
            segs = path[len(CRM_API_PREFIX):].split("/")
            return "groups" if len(segs) >= 2 and segs[1] == "groups" else "properties"
        return "other"

    def _hubspot(self, path, query, body, started):
        sim = self.sim
        method = self.command
        ep = self._endpoint(method, path)
        ctype_full = self.headers.get("Content-Type")
        ctype = (ctype_full or "").split(";")[0].strip().lower()
        qpairs = parse_qsl(query, keep_blank_values=True) if query else []
        form_pairs = []
        form_ok = True
        if ctype == FORM_CT and body:
            try:
                form_pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            except (UnicodeDecodeError, ValueError):
                form_ok = False
        json_body, json_err = None, None
        if ctype == "application/json" and body:
            try:
                json_body = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                json_err = e
        self._raw_body, self._json_body, self._json_err = body, json_body, json_err
        entry = {"time": iso_now(), "sim_time": round(sim.now(), 3), "method": method, "path": path,
                 "endpoint": ep, "has_query": bool(query), "query_params": sorted({k for k, _ in qpairs}),
                 "content_type": ctype_full, "form_fields": sorted({k for k, _ in form_pairs}),
                 "json_fields": sorted(json_body) if isinstance(json_body, dict) else [],
                 "body_bytes": len(body), "authorization": self.headers.get("Authorization") is not None}
        form = {}
        for k, v in form_pairs:
            form.setdefault(k, v)
        qs = {}
        for k, v in qpairs:
            qs.setdefault(k, v)
        with sim.lock:
            sim.stats["calls_by_endpoint"][ep] += 1
            if ep == "token" and method == "POST":
                gt = form.get("grant_type") or "missing"
                if gt not in ("authorization_code", "refresh_token", "missing"):
                    gt = "other"
                hub = None
                if gt == "authorization_code":
                    c = sim.codes.get(form.get("code", ""))
                    hub = c["hub_id"] if c else None
                elif gt == "refresh_token":
                    gid = sim.refresh_index.get(form.get("refresh_token", ""))
                    hub = sim.grants[gid]["hub_id"] if gid else None
                sim.count_token_call("token_calls", gt, hub)
        reply = None
        if ep != "other":
            delay, fault = sim.plan_faults(ep)
            if delay > 0:
                with sim.lock:
                    for k in (ep, "*"):  # "*": every endpoint together
                        sim.stats["in_flight"][k] += 1
                        sim.stats["in_flight_max"][k] = max(sim.stats["in_flight_max"][k],
                                                            sim.stats["in_flight"][k])
                time.sleep(delay)  # never under the lock
                with sim.lock:
                    for k in (ep, "*"):
                        sim.stats["in_flight"][k] -= 1
            if fault is not None:
                reply = sim.fault_reply(fault, ep)
        if reply is None:
            try:
                reply = self._route(method, path, ep, ctype, form_ok, form, qs, bool(query))
            except Exception as e:  # pragma: no cover - defensive
                reply = api_error(500, "INTERNAL_ERROR", "internal simulator error: %s" % type(e).__name__)
        entry["status"] = reply.status
        entry["duration_ms"] = round((time.monotonic() - started) * 1000.0, 1)
        if reply.disconnect:
            entry["disconnected"] = True
        # recorded before the answer goes out: a client's next call can never
        # be logged ahead of this one
        sim.record(entry)
        self._send(reply)

    def _route(self, method, path, ep, ctype, form_ok, form, qs, has_query):
        if path.startswith("/oauth/v1/"):
            return api_error(410, "GONE", "The v1 OAuth endpoints are deprecated (sunset 2027-02-16) and are not "
                                          "served by this simulator; use /oauth/2026-03/token, "
                                          "/oauth/2026-03/token/introspect and /oauth/2026-03/token/revoke.")
        if ep == "authorize":
            if path == "/oauth/authorize":
                if method not in ("GET", "HEAD"):
                    return self._method_not_allowed("GET")
                return self._authorize_page(qs)
            if method != "POST":
                return self._method_not_allowed("POST")
            if ctype != FORM_CT or not form_ok:
                return error_page(400, "Couldn't complete the connection", "The form could not be read.")
            return self._authorize_decision(form)
        if ep in ("token", "introspect", "revoke"):
            if method != "POST":
                return self._method_not_allowed("POST")
            if ctype != FORM_CT:
                return request_error(415, "Unsupported Media Type: this endpoint only accepts "
                                          "application/x-www-form-urlencoded request bodies")
            if not form_ok:
                return request_error(400, "The request body is not valid application/x-www-form-urlencoded")
            if has_query:
                return request_error(400, "Parameters must be sent in the form-encoded request body, "
                                          "not in the query string")
            return {"token": self._token, "introspect": self._introspect, "revoke": self._revoke}[ep](form)
        if ep in API_ENDPOINTS:
            return self._api(ep, method, path, ctype, qs)
        return api_error(404, "OBJECT_NOT_FOUND", "Resource not found")

    @staticmethod
    def _method_not_allowed(allowed):
        r = api_error(405, "VALIDATION_ERROR", "HTTP method not allowed; use %s" % allowed)
        r.headers["Allow"] = allowed
        return r

    # ------------------------------------------------------------- authorize
    def _validate_authorize(self, params):
        """-> (error reply or None, required scopes, optional scopes)."""
        sim = self.sim
        if params.get("client_id") != sim.client_id:
            return error_page(400, "Couldn't complete the connection",
                              "An invalid app client_id was provided. Please contact the app developer."), None, None
        ru = params.get("redirect_uri") or ""
        s = urlsplit(ru)
        if s.scheme not in ("http", "https") or not s.netloc:
            return error_page(400, "Couldn't complete the connection",
                              "The redirect_uri is missing or invalid. Please contact the app developer."), None, None
        required = split_scopes(params.get("scope"))
        if not required:
            return error_page(400, "Couldn't complete the connection",
                              "Insufficient scopes were provided. Please contact the app developer."), None, None
        optional = [x for x in split_scopes(params.get("optional_scope")) if x not in required]
        return None, required, optional

    def _browser_user(self, params):
        sim = self.sim
        if params.get("as_user"):
            return sim._find_user(params["as_user"]), True
        return sim.users.get(sim.browser_user) if sim.browser_user else None, False

    def _authorize_page(self, qs):
        sim = self.sim
        with sim.lock:
            sim.stats["calls_by_endpoint"]["authorize_page"] += 1
            err, required, optional = self._validate_authorize(qs)
            if err:
                return err
            user, explicit = self._browser_user(qs)
            if user is None:
                return error_page(403 if explicit else 401, "Log in to HubSpot",
                                  "No HubSpot user is signed in in this browser." if not explicit
                                  else "Unknown HubSpot user.")
            if not user["active"]:
                return error_page(403, "Couldn't complete the connection", "This HubSpot user is deactivated.")
            portals = [sim.portals[h] for h in sorted(user["portals"]) if h in sim.portals]
            app = E(sim.app_name)
            hidden = []
            for name in ("client_id", "redirect_uri", "scope", "optional_scope", "state"):
                if name in qs:
                    hidden.append("<input type=\"hidden\" name=\"%s\" value=\"%s\">" % (name, E(qs[name])))
            if explicit:
                hidden.append("<input type=\"hidden\" name=\"as_user\" value=\"%s\">" % E(qs["as_user"]))
            accounts = []
            for p in portals:
                h = p["hub_id"]
                accounts.append(
                    "<div class=\"account\"><input type=\"radio\" name=\"hub_id\" value=\"%d\" id=\"portal-%d\" "
                    "required> <label for=\"portal-%d\"><span class=\"portal-name\">%s</span> "
                    "<span class=\"portal-domain\">%s</span> <span class=\"portal-hub-id\">Hub ID %d</span>"
                    "</label></div>" % (h, h, h, E(p["name"]), E(p["domain"]), h))
            if not accounts:
                accounts.append("<p id=\"no-accounts\">You don't have access to any HubSpot accounts.</p>")
            req_items = "".join("<li class=\"scope required\">%s</li>" % E(s) for s in required)
            opt_items = "".join("<li class=\"scope optional\">%s</li>" % E(s) for s in optional)
            inner = (
                "<h1 id=\"app-heading\">Connect %s to HubSpot</h1>\n"
                "<p class=\"app-request\">%s is requesting access to your HubSpot account.</p>\n"
                "<p class=\"signed-in\">Signed in as <strong id=\"signed-in-user\">%s</strong></p>\n"
                "<form method=\"post\" action=\"/oauth/authorize/decision\" id=\"authorize-form\">\n%s\n"
                "<fieldset id=\"account-chooser\"><legend><h2>Choose an account</h2></legend>\n%s\n</fieldset>\n"
                "<section id=\"requested-scopes\"><h2>%s will be able to</h2>\n"
                "<h3>Required</h3><ul class=\"scopes\" id=\"required-scopes\">%s</ul>\n"
                "<h3>Optional</h3><ul class=\"scopes\" id=\"optional-scopes\">%s</ul></section>\n"
                "<p><button type=\"submit\" name=\"action\" value=\"connect\" id=\"connect-app\">Connect app</button>"
                "<button type=\"submit\" name=\"action\" value=\"cancel\" id=\"cancel\" formnovalidate>Cancel"
                "</button></p>\n</form>\n"
                % (app, app, E(user["email"]), "\n".join(hidden), "\n".join(accounts), app, req_items, opt_items))
            return html_reply(200, page("Connect %s to HubSpot" % sim.app_name, inner))

    def _authorize_decision(self, form):
        sim = self.sim
        action = form.get("action", "connect")
        with sim.lock:
            sim.stats["calls_by_endpoint"]["authorize_decision"] += 1
            err, required, optional = self._validate_authorize(form)
            if err:
                return err
            redirect_uri = form["redirect_uri"]
            state = form.get("state")
            if action == "cancel":
                params = [("error", "access_denied"),
                          ("error_description", "The user cancelled the app installation.")]
                if state is not None:
                    params.append(("state", state))
                return Reply(302, b"", None, {"Location": add_query(redirect_uri, params), "Cache-Control": "no-store"})
            if action != "connect":
                return error_page(400, "Couldn't complete the connection", "Unknown action.")
            user, explicit = self._browser_user(form)
            if user is None:
                return error_page(401 if not explicit else 403, "Log in to HubSpot",
                                  "No HubSpot user is signed in in this browser.")
            if not user["active"]:
                return error_page(403, "Couldn't complete the connection", "This HubSpot user is deactivated.")
            try:
                hub = int(form.get("hub_id", ""))
            except ValueError:
                return error_page(400, "Choose an account", "Choose an account to connect the app to.")
            portal = sim.portals.get(hub)
            if portal is None or hub not in user["portals"]:
                return error_page(403, "Couldn't complete the connection",
                                  "You don't have access to HubSpot account %d." % hub)
        redirect_fault = sim.take_fault("redirect_error", "authorize")
        if redirect_fault is not None:
            params = [("error", str(redirect_fault["redirect_error"])),
                      ("error_description", "HubSpot could not complete the authorization. Please try again.")]
            if state is not None:
                params.append(("state", state))
            return Reply(302, b"", None, {"Location": add_query(redirect_uri, params), "Cache-Control": "no-store"})
        with sim.lock:
            if portal["app_state"] == "uninstalled" or portal["app_state"] == "not_installed":
                portal["app_state"] = "installed"
            granted = [s for s in (required + optional) if s not in set(portal["withheld_scopes"])]
            code = new_code()
            sim.codes[code] = {"client_id": form["client_id"], "redirect_uri": redirect_uri, "hub_id": hub,
                               "user_id": user["id"], "scopes": sorted(set(granted)), "used": False,
                               "expires_at": sim.now() + sim.config["code_ttl"]}
        params = [("code", code)]
        if state is not None:
            params.append(("state", state))
        return Reply(302, b"", None, {"Location": add_query(redirect_uri, params), "Cache-Control": "no-store"})

    # ------------------------------------------------------------- token endpoints
    def _client_ok(self, form):
        sim = self.sim
        cid = form.get("client_id")
        if not cid or cid != sim.client_id or form.get("client_secret") != sim.client_secret:
            return oauth_error(400, "BAD_CLIENT_ID", "missing or invalid client id or client secret",
                               "invalid_client", "Client authentication failed: missing or invalid client_id "
                                                 "or client_secret")
        return None

    def _token(self, form):
        sim = self.sim
        gt = form.get("grant_type")
        if gt not in ("authorization_code", "refresh_token"):
            return oauth_error(400, "BAD_GRANT_TYPE", "missing or unsupported grant_type", "unsupported_grant_type",
                               "grant_type must be authorization_code or refresh_token")
        err = self._client_ok(form)
        if err:
            return err
        with sim.lock:
            now = sim.now()
            if gt == "authorization_code":
                code = sim.codes.get(form.get("code") or "")
                if code is None or code["used"] or code["expires_at"] <= now or code["client_id"] != sim.client_id:
                    return oauth_error(400, "BAD_AUTH_CODE", "missing or unknown auth code", "invalid_grant",
                                       "The authorization code is missing, unknown, expired or already used")
                if form.get("redirect_uri") != code["redirect_uri"]:
                    return oauth_error(400, "BAD_REDIRECT_URI", "redirect_uri does not match the one used to "
                                                                "obtain the authorization code", "invalid_grant",
                                       "redirect_uri does not match the authorization request")
                code["used"] = True
                user = sim.users.get(code["user_id"])
                portal = sim.portals.get(code["hub_id"])
                if user is None or not user["active"] or portal is None or portal["app_state"] == "uninstalled" \
                        or code["hub_id"] not in user["portals"]:
                    return oauth_error(400, "BAD_AUTH_CODE", "missing or unknown auth code", "invalid_grant",
                                       "The authorization code is no longer valid")
                g = sim._create_grant(code["hub_id"], user, code["scopes"], "oauth")
                at = sim._mint_access(g)
                sim.count_token_call("token_successes", gt, g["hub_id"])
                return json_reply(200, sim._token_answer(g, at))
            rt = form.get("refresh_token") or ""
            gid = sim.refresh_index.get(rt)
            g = sim.grants.get(gid) if gid else None
            if g is None or g["status"] != "active" or g["refresh_token"] != rt or g["client_id"] != sim.client_id:
                return oauth_error(400, "BAD_REFRESH_TOKEN", "missing or invalid refresh token", "invalid_grant",
                                   "missing or invalid refresh token")
        modifier = sim.take_fault("refresh_modifier", "token")
        with sim.lock:
            if g["status"] != "active" or g["refresh_token"] != rt:  # raced with another change
                return oauth_error(400, "BAD_REFRESH_TOKEN", "missing or invalid refresh token", "invalid_grant",
                                   "missing or invalid refresh token")
            include = True
            if (modifier and modifier["rotate_refresh_token"]) or sim.config["rotate_refresh_tokens"]:
                new_rt = new_refresh_token()
                g["refresh_token"] = new_rt
                g["rotations"] += 1
                sim.refresh_index[new_rt] = g["id"]
            if modifier and modifier["omit_refresh_token"]:
                include = False
            g["refresh_count"] += 1
            at = sim._mint_access(g)
            sim.count_token_call("token_successes", gt, g["hub_id"])
            return json_reply(200, sim._token_answer(g, at, include_refresh=include))

    def _introspect(self, form):
        sim = self.sim
        err = self._client_ok(form)
        if err:
            return err
        token = form.get("token")
        if not token:
            return request_error(400, "missing required field: token")
        hint = form.get("token_type_hint")
        with sim.lock:
            order = ("refresh", "access") if hint == "refresh_token" else ("access", "refresh")
            for kind in order:
                if kind == "access" and token in sim.access_index:
                    g, bad, remaining = sim.classify_access(token)
                    if g is None:
                        return json_reply(200, {"active": False})
                    return json_reply(200, self._introspect_body(g, token, "access", int(remaining)))
                if kind == "refresh" and token in sim.refresh_index:
                    g = sim.grants.get(sim.refresh_index[token])
                    if g is None or g["status"] != "active" or g["refresh_token"] != token:
                        return json_reply(200, {"active": False})
                    return json_reply(200, self._introspect_body(g, token, "refresh", None))
            return json_reply(200, {"active": False})

    def _introspect_body(self, g, token, kind, remaining):
        sim = self.sim
        portal = sim.portals[g["hub_id"]]
        user = sim.users[g["user_id"]]
        body = {"token": token, "active": True, "token_use": "%s_token" % kind, "token_type": kind,
                "hub_id": g["hub_id"], "hub_domain": portal["domain"], "user": user["email"],
                "user_id": int(user["id"]), "client_id": g["client_id"], "app_id": sim.app_id,
                "scopes": list(g["scopes"])}
        if kind == "access":
            rec = sim.access_index[token]
            body["expires_in"] = max(0, remaining)
            body["is_private_distribution"] = False
            body["signed_access_token"] = {
                "appId": sim.app_id, "expiresAt": int(rec["expires_at"] * 1000), "hubId": g["hub_id"],
                "hublet": "na1", "installingUserId": int(user["id"]), "isPrivateDistribution": False,
                "isServiceAccount": False, "isUserLevel": False, "newSignature": secrets.token_urlsafe(24),
                "scopeToScopeGroupPks": "", "scopes": " ".join(g["scopes"]), "signature": secrets.token_urlsafe(24),
                "trialScopeToScopeGroupPks": "", "trialScopes": "", "userId": int(user["id"])}
        return body

    def _revoke(self, form):
        sim = self.sim
        err = self._client_ok(form)
        if err:
            return err
        token = form.get("token")
        if not token:
            return request_error(400, "missing required field: token")
        with sim.lock:
            gid = sim.refresh_index.get(token)
            if gid is not None:
                g = sim.grants[gid]
                if g["refresh_token"] == token and g["status"] in ("active", "refresh_invalidated"):
                    g["status"] = "revoked"
                return Reply(204, b"", None, {"Cache-Control": "no-store"})
            rec = sim.access_index.get(token)
            if rec is not None:
                rec["revoked"] = True
                return Reply(204, b"", None, {"Cache-Control": "no-store"})
        return json_reply(400, {"status": "error", "message": "Token is invalid", "correlationId": correlation_id(),
                                "category": "VALIDATION_ERROR", "error": "invalid_request",
                                "error_description": "The token is unknown"})

    # ------------------------------------------------------------- Bearer API (users, CRM properties)
    def _api(self, ep, method, path, ctype, qs):
        """Every Bearer endpoint: authenticate (401), count the call in the (app, portal) burst window (429), then
        answer; every answer past authentication carries the X-HubSpot-RateLimit-* headers."""
        sim = self.sim
        if ep == "users" and method not in ("GET", "HEAD"):
            return self._method_not_allowed("GET")
        with sim.lock:
            g, err = self._authenticate()
            if err:
                return err
            hub = g["hub_id"]
            allowed, rl = sim.rate_take(hub)
            if not allowed:
                return sim.rate_limit_reply(rl)
            sim.count_api_call(hub, ep)
            try:
                reply = self._users(g, path, qs) if ep == "users" else self._crm(g, method, path, ctype, qs)
            except ApiFail as e:
                reply = e.reply()
            reply.headers.update(rl)
            return reply

    @staticmethod
    def _missing_scopes(g, accepted):
        """403 MISSING_SCOPES unless the grant holds one of the accepted scopes."""
        if any(s in g["scopes"] for s in accepted):
            return None
        return api_error(403, "MISSING_SCOPES", MISSING_SCOPES_MESSAGE,
                         errors=[{"message": "One or more of the following scopes are required.",
                                  "context": {"requiredScopes": list(accepted)}}],
                         links={"scopes": "https://developers.hubspot.com/scopes"})

    def _authenticate(self):
        """-> (grant, None) or (None, error reply)."""
        sim = self.sim
        auth = self.headers.get("Authorization")
        if not auth:
            return None, api_error(401, "INVALID_AUTHENTICATION", INVALID_AUTH_MESSAGE)
        parts = auth.split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].strip():
            return None, api_error(401, "INVALID_AUTHENTICATION", INVALID_AUTH_MESSAGE)
        g, bad, extra = sim.classify_access(parts[1].strip())
        if bad == "expired":
            minutes = int(extra // 60)
            return None, api_error(401, "EXPIRED_AUTHENTICATION",
                                   "The OAuth token used to make this call expired %d minute(s) ago." % minutes)
        if g is None:
            return None, api_error(401, "INVALID_AUTHENTICATION", "The OAuth token used to make this call is invalid. "
                                   + INVALID_AUTH_MESSAGE.split(". ", 1)[1])
        return g, None

    def _user_body(self, u, hub):
        m = u["portals"][hub]
        d = {"id": u["id"], "email": u["email"], "roleIds": list(m["role_ids"]), "superAdmin": bool(m["super_admin"])}
        if u.get("first_name"):
            d["firstName"] = u["first_name"]
        if u.get("last_name"):
            d["lastName"] = u["last_name"]
        if m["role_ids"]:
            d["roleId"] = m["role_ids"][0]
        if m.get("primary_team_id"):
            d["primaryTeamId"] = m["primary_team_id"]
        d["secondaryTeamIds"] = list(m.get("secondary_team_ids", []))
        return d

    def _users(self, g, path, qs):
        sim = self.sim
        with sim.lock:
            err = self._missing_scopes(g, USERS_SCOPES)
            if err:
                return err
            hub = g["hub_id"]
            rest = path[len("/settings/users/2026-03"):].strip("/")
            if rest == "roles":
                return json_reply(200, {"results": [dict(r) for r in sim.portals[hub]["roles"]]})
            if rest == "":
                members = sorted((u for u in sim.users.values() if u["active"] and hub in u["portals"]),
                                 key=lambda u: int(u["id"]))
                try:
                    limit = max(1, min(100, int(qs.get("limit", "100"))))
                except ValueError:
                    return api_error(400, "VALIDATION_ERROR", "limit must be an integer")
                after = qs.get("after")
                if after:
                    members = [u for u in members if int(u["id"]) > int(after)] if after.isdigit() else []
                page_users = members[:limit]
                out = {"results": [self._user_body(u, hub) for u in page_users]}
                if len(members) > limit:
                    nxt = page_users[-1]["id"]
                    out["paging"] = {"next": {"after": nxt, "link": "/settings/users/2026-03?after=%s&limit=%d"
                                                                    % (nxt, limit)}}
                return json_reply(200, out)
            if "/" in rest:
                return api_error(404, "OBJECT_NOT_FOUND", "Resource not found")
            key = unquote(rest)
            prop = (qs.get("idProperty") or "USER_ID").upper()
            if prop not in ("USER_ID", "EMAIL"):
                return api_error(400, "VALIDATION_ERROR", "idProperty must be USER_ID or EMAIL")
            if prop == "USER_ID":
                u = sim.users.get(key)
            else:
                uid = sim.email_index.get(key.lower())
                u = sim.users.get(uid) if uid else None
            if u is None or not u["active"] or hub not in u["portals"]:
                return api_error(404, "OBJECT_NOT_FOUND", "Unable to find user %s in account %d" % (key, hub))
            return json_reply(200, self._user_body(u, hub))

    # ------------------------------------------------------------- CRM properties API (2026-03)
    def _crm(self, g, method, path, ctype, qs):
        """Route /crm/properties/2026-03/{objectType}[/...]. Lock held."""
        sim = self.sim
        segs = [unquote(s) for s in path[len(CRM_API_PREFIX):].split("/")]
        if not segs[0]:
            raise ApiFail(404, "OBJECT_NOT_FOUND", "Resource not found")
        ot = crm_object_type(segs[0])
        if ot is None:
            raise ApiFail(400, None, "Unable to infer object type from: %s" % segs[0])
        tail = segs[1:]
        if not tail:
            routes = {"GET": ("read", self._crm_list), "POST": ("write", self._crm_create)}
        elif tail == ["groups"]:
            routes = {"GET": ("read", self._crm_groups_list), "POST": ("write", self._crm_group_create)}
        elif len(tail) == 2 and tail[0] == "groups" and tail[1]:
            routes = {"GET": ("read", self._crm_group_get), "PATCH": ("write", self._crm_group_patch),
                      "DELETE": ("write", self._crm_group_archive)}
        elif len(tail) == 2 and tail[0] == "batch" and tail[1] in ("create", "read", "archive"):
            routes = {"POST": {"create": ("write", self._crm_batch_create), "read": ("read", self._crm_batch_read),
                               "archive": ("write", self._crm_batch_archive)}[tail[1]]}
        elif len(tail) == 1 and tail[0]:
            routes = {"GET": ("read", self._crm_get), "PATCH": ("write", self._crm_patch),
                      "DELETE": ("write", self._crm_archive)}
        else:
            raise ApiFail(404, "OBJECT_NOT_FOUND", "Resource not found")
        if method not in routes:
            return self._method_not_allowed(", ".join(routes))
        access, fn = routes[method]
        err = self._missing_scopes(g, PROPERTY_SCOPES[ot][access])
        if err:
            return err
        return fn(sim.portals[g["hub_id"]], ot, tail, ctype, qs)

    def _body_json(self, ctype):
        if ctype != "application/json":
            raise ApiFail(415, "VALIDATION_ERROR", "Unsupported Media Type: send the request body as "
                                                  "application/json")
        if not self._raw_body:
            raise _invalid("Invalid input JSON: the request body is empty")
        e = self._json_err
        if e is not None:
            if isinstance(e, json.JSONDecodeError):
                raise _invalid("Invalid input JSON on line %d, column %d: %s" % (e.lineno, e.colno, e.msg))
            raise _invalid("Invalid input JSON: the body is not UTF-8")
        return self._json_body

    def _crm_list(self, portal, ot, tail, ctype, qs):
        archived = query_bool(qs, "archived")
        sens = qs.get("dataSensitivity") or "non_sensitive"
        if sens not in DATA_SENSITIVITIES:
            raise _invalid("dataSensitivity must be one of %s" % ", ".join(DATA_SENSITIVITIES), "dataSensitivity")
        return json_reply(200, {"results": [property_view(p) for p in self.sim.crm_properties(portal, ot, archived)
                                            if p.get("dataSensitivity", "non_sensitive") == sens]})

    def _crm_create_one(self, portal, ot, body):
        sim = self.sim
        p = build_property(body, ot, iso_ms(sim.now()))
        if sim.crm_name_taken(portal, ot, p["name"]):
            raise ApiFail(409, "OBJECT_ALREADY_EXISTS", "Property %s already exists" % p["name"],
                          context={"name": [p["name"]]})
        if sim.crm_group(portal, ot, p["groupName"]) is None:
            raise _invalid("Property group %s does not exist" % p["groupName"], "groupName")
        if p["hasUniqueValue"] and sim.crm_unique_count(portal, ot) >= MAX_UNIQUE_PROPERTIES:
            raise _invalid("You can have up to %d unique value properties per object" % MAX_UNIQUE_PROPERTIES,
                           "hasUniqueValue")
        sim.crm_state(portal, ot)["props"][p["name"]] = p
        return p

    def _crm_create(self, portal, ot, tail, ctype, qs):
        return json_reply(201, property_view(self._crm_create_one(portal, ot, self._body_json(ctype))))

    @staticmethod
    def _batch_inputs(body, allowed, required, what):
        check_fields(body, allowed, what)
        missing = [k for k in required if k not in body]
        if missing:
            raise _invalid("Invalid input JSON on line 1, column 1: Cannot build %s, some of required attributes "
                           "are not set [%s]" % (what, ", ".join(missing)), missing[0], "REQUIRED")
        inputs = body["inputs"]
        if not isinstance(inputs, list):
            raise _invalid("inputs must be an array", "inputs")
        if len(inputs) > PROPERTY_BATCH_LIMIT:
            raise _invalid("The maximum number of inputs supported in a batch request is %d. Please reduce the "
                           "number of items and try again" % PROPERTY_BATCH_LIMIT, "inputs")
        return inputs

    @staticmethod
    def _batch_names(inputs):
        names = []
        for i in inputs:
            check_fields(i, {"name"}, "PropertyName")
            if not isinstance(i.get("name"), str) or not i["name"]:
                raise _invalid("Each input needs a non-empty name", "inputs")
            if i["name"] not in names:
                names.append(i["name"])
        return names

    def _batch_answer(self, ok_status, started, results, errors):
        out = {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": iso_ms(self.sim.now())}
        if errors:
            out["numErrors"] = len(errors)
            out["errors"] = errors
            return json_reply(207, out)
        return json_reply(ok_status, out)

    def _crm_batch_create(self, portal, ot, tail, ctype, qs):
        inputs = self._batch_inputs(self._body_json(ctype), {"inputs"}, ("inputs",), "BatchInputPropertyCreate")
        started = iso_ms(self.sim.now())
        results, errors = [], []
        for raw in inputs:
            try:
                results.append(property_view(self._crm_create_one(portal, ot, raw)))
            except ApiFail as e:
                err = e.standard_error()
                if not err["context"] and isinstance(raw, dict) and isinstance(raw.get("name"), str):
                    err["context"] = {"name": [raw["name"]]}
                errors.append(err)
        return self._batch_answer(201, started, results, errors)

    def _crm_batch_read(self, portal, ot, tail, ctype, qs):
        body = self._body_json(ctype)
        inputs = self._batch_inputs(body, {"inputs", "archived", "dataSensitivity"},
                                    ("archived", "dataSensitivity", "inputs"), "BatchReadInputPropertyName")
        if not isinstance(body["archived"], bool):
            raise _invalid("archived must be a boolean", "archived")
        if body["dataSensitivity"] not in DATA_SENSITIVITIES:
            raise _invalid("dataSensitivity must be one of %s" % ", ".join(DATA_SENSITIVITIES), "dataSensitivity")
        started = iso_ms(self.sim.now())
        results, errors = [], []
        for name in self._batch_names(inputs):
            p = self.sim.crm_property(portal, ot, name, body["archived"])
            if p is not None and p.get("dataSensitivity", "non_sensitive") == body["dataSensitivity"]:
                results.append(property_view(p))
            else:
                errors.append(ApiFail(404, "OBJECT_NOT_FOUND", "Property %s does not exist" % name,
                                      context={"name": [name]}).standard_error())
        return self._batch_answer(200, started, results, errors)

    def _crm_batch_archive(self, portal, ot, tail, ctype, qs):
        inputs = self._batch_inputs(self._body_json(ctype), {"inputs"}, ("inputs",), "BatchInputPropertyName")
        now = iso_ms(self.sim.now())
        for name in self._batch_names(inputs):
            p = self.sim.crm_property(portal, ot, name)
            if p is not None and p["modificationMetadata"]["archivable"]:
                p["archived"] = True
                p["archivedAt"] = now
        return no_content()

    def _crm_found(self, portal, ot, name, archived=False):
        p = self.sim.crm_property(portal, ot, name, archived)
        if p is None:
            raise ApiFail(404, "OBJECT_NOT_FOUND", "Property %s does not exist" % name)
        return p

    def _crm_get(self, portal, ot, tail, ctype, qs):
        return json_reply(200, property_view(self._crm_found(portal, ot, tail[0], query_bool(qs, "archived"))))

    def _crm_patch(self, portal, ot, tail, ctype, qs):
        sim = self.sim
        name = tail[0]
        body = self._body_json(ctype)
        check_fields(body, PROPERTY_UPDATE_FIELDS, "PropertyUpdate")
        p = self._crm_found(portal, ot, name)
        if p["modificationMetadata"]["readOnlyDefinition"]:
            raise _invalid("Property %s is HubSpot-defined and its definition is read-only" % name)
        _check_scalar_fields(body)
        for k in ("label", "groupName", "type", "fieldType"):
            if k in body and (not isinstance(body[k], str) or not body[k].strip()):
                raise _invalid("%s must be a non-empty string" % k, k)
        if "type" in body and body["type"] != p["type"]:
            raise _invalid("The type of property %s can't be changed from %s to %s" % (name, p["type"], body["type"]),
                           "type")
        field_type = body.get("fieldType", p["fieldType"])
        if field_type != p["fieldType"] and "calculation_equation" in (field_type, p["fieldType"]):
            raise _invalid("Property %s can't be changed to or from a calculation property" % name, "fieldType")
        _check_type_pair(p["type"], field_type, {"calculationFormula": body.get("calculationFormula",
                                                                              p.get("calculationFormula"))})
        if "groupName" in body and sim.crm_group(portal, ot, body["groupName"]) is None:
            raise _invalid("Property group %s does not exist" % body["groupName"], "groupName")
        options = None
        if "options" in body:
            options = parse_options(body["options"], p["type"])
            if options and p["type"] not in ("enumeration", "bool"):
                raise _invalid("Options are only valid for enumeration and bool properties", "options")
            if p["type"] == "enumeration" and not options and not p["externalOptions"] \
                    and field_type != "calculation_equation":
                raise _invalid("Options are required for enumeration properties", "options", "REQUIRED")
            if p["type"] == "bool" and not options:
                options = _opts(_YES_NO)
        if p.get("hubspotDefined"):  # copy-on-write: this portal's edit of a HubSpot-defined property
            st = sim.crm_state(portal, ot)
            if name not in st["overrides"]:
                st["overrides"][name] = json.loads(json.dumps(p))
            p = st["overrides"][name]
        for k, v in body.items():
            if k not in ("options", "type"):
                p[k] = v
        if options is not None:
            p["options"] = options
        p["updatedAt"] = iso_ms(sim.now())
        return json_reply(200, property_view(p))

    def _crm_archive(self, portal, ot, tail, ctype, qs):
        p = self._crm_found(portal, ot, tail[0])
        if not p["modificationMetadata"]["archivable"]:
            raise _invalid("Property %s is HubSpot-defined and can't be archived" % tail[0])
        p["archived"] = True
        p["archivedAt"] = iso_ms(self.sim.now())
        return no_content()

    def _crm_groups_list(self, portal, ot, tail, ctype, qs):
        return json_reply(200, {"results": self.sim.crm_groups(portal, ot)})

    def _crm_group_create(self, portal, ot, tail, ctype, qs):
        grp = build_group(self._body_json(ctype))
        st = self.sim.crm_state(portal, ot)
        if grp["name"] in DEFAULT_GROUP_NAMES[ot] or grp["name"] in st["groups"]:
            raise ApiFail(409, "OBJECT_ALREADY_EXISTS", "Property group %s already exists" % grp["name"],
                          context={"name": [grp["name"]]})
        st["groups"][grp["name"]] = grp
        return json_reply(201, dict(grp))

    def _crm_group_found(self, portal, ot, name):
        grp = self.sim.crm_group(portal, ot, name)
        if grp is None:
            raise ApiFail(404, "OBJECT_NOT_FOUND", "Property group %s does not exist" % name)
        return grp

    def _crm_group_get(self, portal, ot, tail, ctype, qs):
        return json_reply(200, dict(self._crm_group_found(portal, ot, tail[1])))

    def _crm_group_patch(self, portal, ot, tail, ctype, qs):
        body = self._body_json(ctype)
        check_fields(body, GROUP_UPDATE_FIELDS, "PropertyGroupUpdate")
        grp = self._crm_group_found(portal, ot, tail[1])
        if grp["name"] in DEFAULT_GROUP_NAMES[ot]:
            raise _invalid("Property group %s is HubSpot-defined and can't be changed" % grp["name"])
        if "label" in body and (not isinstance(body["label"], str) or not body["label"].strip()):
            raise _invalid("label must be a non-empty string", "label")
        if "displayOrder" in body and not _is_int(body["displayOrder"]):
            raise _invalid("displayOrder must be an integer", "displayOrder")
        grp.update(body)
        return json_reply(200, dict(grp))

    def _crm_group_archive(self, portal, ot, tail, ctype, qs):
        grp = self._crm_group_found(portal, ot, tail[1])
        if grp["name"] in DEFAULT_GROUP_NAMES[ot]:
            raise _invalid("Property group %s is HubSpot-defined and can't be archived" % grp["name"])
        if any(p["groupName"] == grp["name"] for p in self.sim.crm_properties(portal, ot)):
            raise _invalid("Property group %s still has properties; move or archive them first" % grp["name"])
        grp["archived"] = True
        return no_content()

    # ------------------------------------------------------------- /_sim controls
    def _control(self, path, query, body):
        sim = self.sim
        method = self.command
        qs = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
        data = {}
        if method in ("POST", "PUT", "PATCH") and body.strip():
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise ControlError("body must be JSON")
        parts = [p for p in path.split("/") if p][1:]  # drop "_sim"
        key = "/".join(parts)

        def need(m):
            if method != m:
                raise ControlError("method not allowed; use %s" % m, 405)

        if key == "health":
            return json_reply(200, {"ok": True})
        if key == "reset":
            need("POST")
            seed = data.get("seed", sim.default_seed) if isinstance(data, dict) else sim.default_seed
            sim.reset(seed)
            return json_reply(200, {"ok": True, "seed": seed})
        if key == "state":
            need("GET")
            hub = int(qs["hub_id"]) if qs.get("hub_id", "").isdigit() else None
            return json_reply(200, sim.state_view(hub))
        if key == "portals":
            need("POST")
            with sim.lock:
                return json_reply(200, sim.portal_view(sim._upsert_portal(data)))
        if key == "portals/bulk":
            need("POST")
            items = data.get("portals") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ControlError("portals must be a list")
            with sim.lock:
                for it in items:
                    sim._upsert_portal(it)
            return json_reply(200, {"count": len(items)})
        if len(parts) >= 3 and parts[0] == "portals" and parts[2] == "properties":
            return self._control_properties(method, parts, qs, data)
        if len(parts) == 3 and parts[0] == "portals":
            need("POST")
            with sim.lock:
                p = sim._portal(parts[1])
                hub = p["hub_id"]
                if parts[2] == "invalidate_refresh_tokens":
                    n = 0
                    for g in sim.grants.values():
                        if g["hub_id"] == hub and g["status"] == "active":
                            g["status"] = "refresh_invalidated"
                            n += 1
                    return json_reply(200, {"hub_id": hub, "invalidated": n})
                if parts[2] == "uninstall":
                    n = 0
                    for g in sim.grants.values():
                        if g["hub_id"] == hub and g["status"] in ("active", "refresh_invalidated"):
                            g["status"] = "uninstalled"
                            n += 1
                    for c in sim.codes.values():
                        if c["hub_id"] == hub:
                            c["used"] = True
                    p["app_state"] = "uninstalled"
                    return json_reply(200, {"hub_id": hub, "revoked": n, "app_state": p["app_state"]})
                if parts[2] == "install":
                    p["app_state"] = "installed"
                    return json_reply(200, {"hub_id": hub, "app_state": p["app_state"]})
            raise ControlError("unknown portal action", 404)
        if key == "users":
            need("POST")
            with sim.lock:
                return json_reply(200, sim.user_sim_view(sim._upsert_user(data)))
        if len(parts) == 3 and parts[0] == "users":
            need("POST")
            with sim.lock:
                u = sim._user(parts[1])
                if parts[2] == "deactivate":
                    sim._deactivate(u)
                    return json_reply(200, sim.user_sim_view(u))
                if parts[2] == "reactivate":
                    u["active"] = True
                    return json_reply(200, sim.user_sim_view(u))
                if parts[2] == "role":
                    if not isinstance(data, dict):
                        raise ControlError("body must be an object")
                    hub = sim._int_hub(data.get("hub_id"))
                    sim._portal(hub)
                    if data.get("member") is False:
                        sim._remove_membership(u, hub)
                    else:
                        cur = u["portals"].get(hub, {})
                        m = {"super_admin": data.get("super_admin", cur.get("super_admin", False)),
                             "role_ids": data.get("role_ids", cur.get("role_ids", []) if "role_names" not in data
                                                  else []),
                             "role_names": data.get("role_names", [])}
                        if cur.get("primary_team_id"):
                            m["primary_team_id"] = cur["primary_team_id"]
                        if "primary_team_id" in data:
                            m["primary_team_id"] = data["primary_team_id"]
                        sim._set_membership(u, hub, m)
                        if data.get("invalidate_refresh_tokens"):
                            for g in sim.grants.values():
                                if g["user_id"] == u["id"] and g["hub_id"] == hub and g["status"] == "active":
                                    g["status"] = "refresh_invalidated"
                    return json_reply(200, sim.user_sim_view(u))
            raise ControlError("unknown user action", 404)
        if key == "roles":
            need("POST")
            if not isinstance(data, dict):
                raise ControlError("body must be an object")
            with sim.lock:
                p = sim._portal(data.get("hub_id"))
                p["roles"] = sim._parse_roles(data.get("roles"))
                return json_reply(200, sim.portal_view(p))
        if key == "browser_user":
            need("POST")
            with sim.lock:
                email = data.get("email") if isinstance(data, dict) else None
                if email is None:
                    sim.browser_user = None
                    return json_reply(200, {"browser_user": None})
                u = sim._user(email)
                sim.browser_user = u["id"]
                return json_reply(200, {"browser_user": u["email"], "user_id": u["id"]})
        if key == "grants":
            need("POST")
            with sim.lock:
                return json_reply(200, sim.mint_grant(data))
        if key == "grants/bulk":
            need("POST")
            items = data.get("grants") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise ControlError("grants must be a list")
            defaults = {k: data[k] for k in ("scopes", "user_email", "user_id") if k in data}
            with sim.lock:
                out = [sim.mint_grant({**defaults, **it}) for it in items]
            return json_reply(200, {"grants": out})
        if key == "faults":
            if method == "POST":
                return json_reply(200, sim.add_fault(data))
            if method == "DELETE":
                with sim.lock:
                    n = len(sim.faults)
                    sim.faults = []
                return json_reply(200, {"cleared": n})
            need("GET")
            with sim.lock:
                return json_reply(200, {"faults": [dict(f) for f in sim.faults]})
        if key == "clock":
            with sim.lock:
                if method == "POST":
                    adv = data.get("advance_seconds", 0) if isinstance(data, dict) else 0
                    if not isinstance(adv, (int, float)) or adv < 0:
                        raise ControlError("advance_seconds must be a number >= 0")
                    sim.clock_offset += adv
                else:
                    need("GET")
                return json_reply(200, {"now": sim.now(), "offset_seconds": sim.clock_offset})
        if key == "config":
            with sim.lock:
                if method == "POST":
                    if not isinstance(data, dict):
                        raise ControlError("body must be an object")
                    for k in ("latency_ms", "access_token_ttl", "code_ttl"):
                        if k in data:
                            v = data[k]
                            if not isinstance(v, (int, float)) or v < 0:
                                raise ControlError("%s must be a number >= 0" % k)
                    for k in ("burst_limit", "burst_window_ms"):
                        if k in data:
                            v = data[k]
                            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                                raise ControlError("%s must be an integer >= 1" % k)
                    if "rotate_refresh_tokens" in data and not isinstance(data["rotate_refresh_tokens"], bool):
                        raise ControlError("rotate_refresh_tokens must be true or false")
                    for k in ("latency_ms", "access_token_ttl", "code_ttl", "burst_limit", "burst_window_ms",
                              "rotate_refresh_tokens"):
                        if k in data:
                            sim.config[k] = data[k]
                else:
                    need("GET")
                return json_reply(200, dict(sim.config))
        if key == "rate_limits":
            need("DELETE")
            with sim.lock:
                n = len(sim.rate_windows)
                sim.rate_windows = {}
            return json_reply(200, {"cleared": n})
        if key == "log":
            if method == "DELETE":
                with sim.lock:
                    sim.log.clear()
                return json_reply(200, {"cleared": True})
            need("GET")
            since = int(qs["since"]) if qs.get("since", "").isdigit() else 0
            with sim.lock:
                entries = [dict(e) for e in sim.log if e["seq"] > since]
                last = sim.log_seq
            if qs.get("endpoint"):
                entries = [e for e in entries if e["endpoint"] == qs["endpoint"]]
            if qs.get("limit", "").isdigit():
                entries = entries[:int(qs["limit"])]
            return json_reply(200, {"entries": entries, "last_seq": last})
        if key == "stats":
            if method == "DELETE":
                sim.reset_stats()
                return json_reply(200, {"cleared": True})
            need("GET")
            hub = qs.get("hub_id") if qs.get("hub_id", "").isdigit() else None
            return json_reply(200, sim.stats_view(hub))
        raise ControlError("unknown control endpoint /_sim/%s" % key, 404)

    def _control_properties(self, method, parts, qs, data):
        """/_sim/portals/{hub}/properties[...]: a portal's custom property groups and properties."""
        sim = self.sim
        with sim.lock:
            portal = sim._portal(parts[1])
            rest = parts[3:]
            if not rest:
                if method == "GET":
                    if qs.get("object_type"):
                        ot = crm_object_type(qs["object_type"])
                        if ot is None:
                            raise ControlError("unknown object_type %s" % qs["object_type"])
                        types = [ot]
                    else:
                        types = list(CRM_OBJECTS)
                    return json_reply(200, sim.sim_properties_view(portal, types,
                                                                   qs.get("include_defaults") in ("1", "true")))
                if method == "POST":
                    return json_reply(200, sim.load_custom_schema(portal, data))
                if method == "DELETE":
                    types = list(CRM_OBJECTS)
                    if qs.get("object_type"):
                        ot = crm_object_type(qs["object_type"])
                        if ot is None:
                            raise ControlError("unknown object_type %s" % qs["object_type"])
                        types = [ot]
                    for ot in types:
                        sim.set_custom_schema(portal, ot, [], [])
                        sim.crm_state(portal, ot)["overrides"] = {}
                    return json_reply(200, {"hub_id": portal["hub_id"], "cleared": types})
                raise ControlError("method not allowed; use GET, POST or DELETE", 405)
            if rest == ["generate"]:
                if method != "POST":
                    raise ControlError("method not allowed; use POST", 405)
                if not isinstance(data, dict):
                    raise ControlError("body must be an object")
                n = data.get("per_object")
                if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 5000:
                    raise ControlError("per_object must be an integer between 0 and 5000")
                seed = data.get("seed", 0)
                if not isinstance(seed, (str, int)) or isinstance(seed, bool):
                    raise ControlError("seed must be a string or an integer")
                types = data.get("object_types", list(CRM_OBJECTS))
                if not isinstance(types, list) or not types:
                    raise ControlError("object_types must be a non-empty list")
                resolved = []
                for raw in types:
                    ot = crm_object_type(raw)
                    if ot is None:
                        raise ControlError("unknown object type %s" % raw)
                    resolved.append(ot)
                objects = sim.generate_properties(portal, n, str(seed), resolved)
                return json_reply(200, {"hub_id": portal["hub_id"], "seed": str(seed), "per_object": n,
                                        "objects": objects})
            ot = crm_object_type(rest[0])
            if ot is None:
                raise ControlError("unknown object type %s" % rest[0], 404)
            if method != "DELETE":
                raise ControlError("method not allowed; use DELETE", 405)
            st = sim.crm_state(portal, ot)
            if len(rest) == 2:  # a property disappears without a trace (not HubSpot's archive)
                name = rest[1]
                if name in DEFAULT_PROPERTY_INDEX[ot]:
                    raise ControlError("%s is HubSpot-defined" % name)
                if name not in st["props"]:
                    raise ControlError("no custom %s property %s" % (ot, name), 404)
                del st["props"][name]
                return json_reply(200, {"hub_id": portal["hub_id"], "object_type": ot, "deleted": name})
            if len(rest) == 3 and rest[1] == "groups":  # a group disappears, with its custom properties
                name = rest[2]
                if name in DEFAULT_GROUP_NAMES[ot]:
                    raise ControlError("%s is HubSpot-defined" % name)
                if name not in st["groups"]:
                    raise ControlError("no custom %s group %s" % (ot, name), 404)
                del st["groups"][name]
                gone = [n for n, p in st["props"].items() if p["groupName"] == name]
                for n in gone:
                    del st["props"][n]
                return json_reply(200, {"hub_id": portal["hub_id"], "object_type": ot, "deleted_group": name,
                                        "deleted_properties": gone})
            raise ControlError("unknown properties control", 404)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):  # keep stderr quiet on client disconnects
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="HubSpot simulator (OAuth 2026-03, Settings users API, CRM properties API 2026-03)")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = pick a free one)")
    ap.add_argument("--port-file", help="write the actual port here")
    ap.add_argument("--pid-file", help="write the process id here")
    ap.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    ap.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    ap.add_argument("--app-id", type=int, default=DEFAULT_APP_ID)
    ap.add_argument("--app-name", default=DEFAULT_APP_NAME)
    ap.add_argument("--seed", choices=("demo", "empty"), default="empty")
    ap.add_argument("--latency-ms", type=float, default=0.0)
    ap.add_argument("--log-max", type=int, default=500000, help="call-log entries kept (oldest dropped)")
    args = ap.parse_args(argv)

    sim = Sim(args.client_id, args.client_secret, args.app_id, args.app_name, args.seed, args.latency_ms,
              args.log_max)
    server = SimServer(("127.0.0.1", args.port), Handler)
    server.sim = sim
    port = server.server_address[1]
    written = []
    if args.port_file:
        write_atomic(args.port_file, "%d\n" % port)
        written.append(args.port_file)
    if args.pid_file:
        write_atomic(args.pid_file, "%d\n" % os.getpid())
        written.append(args.pid_file)

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="serve", daemon=True)
    t.start()
    print("hubspot-sim listening on http://127.0.0.1:%d" % port, flush=True)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    for p in written:
        try:
            os.unlink(p)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
