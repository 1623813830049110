"""The component schemas of the OpenAPI document: the JSON bodies landingzone sends and reads.

``api/openapi.py`` puts them into the document and refers to them by name.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any

from landingzone.api.uploadapi_body import NAME_LIMIT
from landingzone.auth.passwords import MAX_LENGTH as MAX_PASSWORD_LENGTH
from landingzone.auth.passwords import MIN_LENGTH as MIN_PASSWORD_LENGTH
from landingzone.auth.scopes import ALL_SCOPES
from landingzone.domain.files import SUPPORTED_FILE_TYPES
from landingzone.domain.models import FileStatus, SubmissionStatus, UserRole
from landingzone.domain.names import MAX_FILENAME_BYTES
from landingzone.validation.dataset_type import DATASET_NAME, HeaderPolicy

Json = dict[str, Any]


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


# Not blank as the server's str.strip() sees it: at least one character that is not
# Python whitespace (which differs from a JSON Schema regex's \\s: U+001C-U+001F, U+0085
# are whitespace to Python, U+FEFF is not).
PYTHON_SPACE = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())
NOT_BLANK = f"[^{PYTHON_SPACE}]"
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
TIMESTAMP = {"type": "string", "format": "date-time"}
SCOPE_NAMES = "|".join(scope.replace(".", r"\.") for scope in ALL_SCOPES)
# A filename as SPEC §3 accepts it, less the byte limit, which JSON Schema cannot say.
FILENAME_PATTERN = (
    r"^(?!\.\.?$)(?! )(?!.* $)[^/\\\u0000-\u001f\u007f-\u009f]+$"  # not . or .., no edge spaces
)

SCHEMAS: dict[str, Json] = {
    "Error": {
        "type": "object",
        "description": "The common error body of every JSON answer but a success (SPEC §7).",
        "required": ["code", "message", "success"],
        "properties": {
            "code": {"type": "string", "pattern": "^[1-5][0-9]{2}$", "examples": ["400"]},
            "message": {"type": "string", "description": "What is wrong and how to fix it."},
            "success": {"type": "boolean", "const": False},
        },
    },
    "OAuthError": {
        "description": "A token endpoint error: the common error body plus RFC 6749 §5.2's fields.",
        "allOf": [
            ref("Error"),
            {
                "type": "object",
                "required": ["error", "error_description"],
                "properties": {
                    "error": {
                        "type": "string",
                        "enum": [
                            "invalid_request",
                            "invalid_client",
                            "invalid_grant",
                            "unauthorized_client",
                            "unsupported_grant_type",
                            "invalid_scope",
                        ],
                    },
                    "error_description": STRING,
                },
            },
        ],
    },
    "TokenRequest": {
        "type": "object",
        "description": (
            "RFC 6749 §4.4, each field at most once. Authenticate with HTTP Basic "
            "(`base64(urlencode(client_id):urlencode(client_secret))`), or instead of Basic "
            "with the form fields `client_id` and `client_secret` (never both ways in one "
            "request: that is a 400 invalid_request)."
        ),
        "required": ["grant_type"],
        # A form field is a string, once: a repeated field is a 400 invalid_request.
        "additionalProperties": {"type": "string"},
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "scope": {
                "type": "string",
                "description": (
                    "Space-separated scopes; absent or empty means every scope of the client. "
                    "Each may carry the LZ_SCOPE_URI_PREFIX prefix, which is stripped."
                ),
                "pattern": rf"^(({SCOPE_NAMES})( ({SCOPE_NAMES}))*)?$",
            },
        },
    },
    "TokenResponse": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
            "access_token": STRING,
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer", "minimum": 1},
            "scope": {"type": "string", "description": "The granted scopes, space-separated."},
        },
    },
    "UploadUrls": {
        "type": "object",
        "description": "Each requested filename, in request order, to its signed PUT URL.",
        "additionalProperties": {"type": "string", "format": "uri"},
    },
    "PushedFile": {
        "type": "object",
        "required": [
            "name",
            "type",
            "size",
            "sha256",
            "md5",
            "version",
            "uploadedAt",
            "id",
            "status",
            "failureReason",
        ],
        "properties": {
            "name": STRING,
            "type": nullable(STRING),
            "size": {"type": "integer", "minimum": 0},
            "sha256": STRING,
            "md5": STRING,
            "version": {"type": "integer", "minimum": 1},
            "uploadedAt": TIMESTAMP,
            "status": {
                "type": "string",
                "enum": ["Stored", *(s.value for s in FileStatus)],
                "description": "`Stored` for files that are not validated, else the file status.",
            },
            "id": {
                **nullable(STRING),
                "description": "The Files API id of a validated file; null when `Stored`.",
            },
            "failureReason": nullable(STRING),
        },
    },
    "PushedFiles": {
        "type": "object",
        "required": ["files", "nextCursor"],
        "properties": {
            "files": {"type": "array", "items": ref("PushedFile")},
            "nextCursor": nullable(STRING),
        },
    },
    "CellError": {
        "type": "object",
        "required": ["row", "column", "field", "value", "code", "message"],
        "properties": {
            "row": nullable(INTEGER),
            "column": nullable(INTEGER),
            "field": nullable(STRING),
            "value": nullable(STRING),
            "code": STRING,
            "message": STRING,
        },
    },
    "File": {
        "type": "object",
        "required": ["id", "datasetType", "file", "status", "statistics", "errors"],
        "properties": {
            "id": STRING,
            "datasetType": STRING,
            "file": {
                "type": "object",
                "required": ["name", "type"],
                "properties": {
                    "name": STRING,
                    "type": STRING,
                    "size": nullable(INTEGER),
                    "sha256": nullable(STRING),
                },
            },
            "status": {"type": "string", "enum": [s.value for s in FileStatus]},
            "failureReason": nullable(STRING),
            "createdAt": nullable(TIMESTAMP),
            "uploadedAt": nullable(TIMESTAMP),
            "startedAt": nullable(TIMESTAMP),
            "finishedAt": nullable(TIMESTAMP),
            "statistics": {
                "type": "object",
                "properties": {
                    name: nullable(INTEGER)
                    for name in ("rowsTotal", "rowsImported", "rowsRejected", "bytes", "durationMs")
                },
            },
            "errorCount": INTEGER,
            "errorsTruncated": {"type": "boolean"},
            "errors": {
                "type": "array",
                "description": "The first errors; the whole report is at /errors.",
                "items": ref("CellError"),
            },
            "replaces": {
                **nullable(STRING),
                "description": "The file this one corrects (it supersedes it once Completed).",
            },
            "supersededBy": {
                **nullable(STRING),
                "description": "The Completed correction that superseded this file.",
            },
            "retiredAt": {
                **nullable(TIMESTAMP),
                "description": "When this file left analytics (superseded or retracted).",
            },
        },
    },
    "Files": {
        "type": "object",
        "required": ["files", "nextCursor"],
        "properties": {
            "files": {"type": "array", "items": ref("File")},
            "nextCursor": nullable(STRING),
        },
    },
    "IssuedFile": {
        "type": "object",
        "required": ["id", "uploadUrl", "expiresAt", "status", "datasetType", "file"],
        "properties": {
            "id": STRING,
            "uploadUrl": {"type": "string", "format": "uri"},
            "expiresAt": TIMESTAMP,
            "status": {"type": "string", "enum": [s.value for s in FileStatus]},
            "datasetType": STRING,
            "file": {
                "type": "object",
                "required": ["name", "type"],
                "properties": {"name": STRING, "type": STRING},
            },
            "replaces": {**STRING, "description": "Present when the request named one."},
        },
    },
    "DatasetSummary": {
        "type": "object",
        "required": ["datasetType", "totalRows", "files", "days"],
        "properties": {
            "datasetType": STRING,
            "totalRows": INTEGER,
            "files": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": STRING,
                        "name": STRING,
                        "uploadedAt": TIMESTAMP,
                        "rows": INTEGER,
                    },
                },
            },
            "days": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "day": {"type": "string", "format": "date"},
                        "files": INTEGER,
                        "rows": INTEGER,
                    },
                },
            },
        },
    },
    "UploadData": {
        "type": "object",
        "description": "One submission of the Upload API (SPEC §5, seed 004).",
        "required": ["Name", "Data", "Key"],
        "properties": {
            "Name": {
                "type": "string",
                "minLength": 1,
                "maxLength": NAME_LIMIT,
                "pattern": NOT_BLANK,
                "description": "Identifies the submission within the customer.",
            },
            "Data": {
                "type": "string",
                "description": (
                    "CSV: Reference, StartDate (DD/MM/YYYY), StartTime (hh:mm), EndDate, EndTime."
                ),
            },
            "EventData": {
                "type": ["string", "null"],
                "description": (
                    "CSV: Reference, EventStartDate, EventStartTime, EventEndDate, "
                    "EventEndTime, Description, TimeReference (0, 1 or 2)."
                ),
            },
            "Username": {
                "type": ["string", "null"],
                "description": "The client id of the token's client; optional.",
            },
            "Key": {"type": "string", "description": "The client's API key."},
            "Overwrite": {
                "description": (
                    "Replace an existing submission of the same Name: true or false, as a JSON "
                    'boolean or the string "true"/"false" in any case; absent or null is false.'
                ),
                "anyOf": [
                    {"type": ["boolean", "null"]},
                    {
                        "type": "string",
                        "pattern": r"^\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*$",
                    },
                ],
            },
            "TimeZone": {
                "type": ["string", "null"],
                "enum": [],  # filled by time_zones(): the names this machine's zoneinfo knows
                "description": (
                    "An IANA zone name (e.g. Europe/Paris) for events with TimeReference 2; "
                    "default: the customer's zone."
                ),
            },
        },
    },
    "ProcessingToken": {"type": "string", "format": "uuid"},
    "Results": {
        "description": (
            "dataKey=status: the status string; feedback: a list of problems; "
            "tableofresultids: one entry per Data row."
        ),
        "anyOf": [
            {
                "type": "string",
                "enum": ["pending", "processing", "completedsuccessfully", "failed"],
            },
            {"type": "array", "items": {"type": "object"}},
        ],
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": STRING,
            "checks": {"type": "object", "additionalProperties": STRING},
        },
    },
}

SECURITY_SCHEMES: Json = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from POST /oauth2/token with the operation's scope.",
    },
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "The token endpoint's client authentication: client_id and client_secret.",
    },
}

# The error answers, by status, that operations name below.
S3_ERROR: Json = {
    "type": "object",
    "xml": {"name": "Error"},
    "properties": {"Code": STRING, "Message": STRING, "RequestId": STRING},
}


@cache
def time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


FILE_NAME: Json = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_FILENAME_BYTES,
    "pattern": FILENAME_PATTERN,
    "description": (
        f"The file name, e.g. provider_2025-01-01.csv: 1-{MAX_FILENAME_BYTES} bytes of UTF-8, "
        "no '/', '\\' or control characters, not '.' or '..', no leading or trailing space."
    ),
}
FILE_FORMAT: Json = {
    "type": "string",
    # Any case, as FilesService reads it.
    "pattern": "^("
    + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in kind) for kind in SUPPORTED_FILE_TYPES)
    + ")$",
    "description": f"The file format: {', '.join(SUPPORTED_FILE_TYPES)} (any case).",
}
SCHEMAS["FileUploadRequest"] = {
    "type": "object",
    "description": "POST /analytics/files/upload (SPEC §4, seed 003).",
    "required": ["datasetType", "file"],
    "properties": {
        "datasetType": {
            "type": "string",
            "description": "A dataset type of this deployment (listed as it has them).",
        },
        "file": {
            "type": "object",
            "required": ["name", "type"],
            "properties": {"name": FILE_NAME, "type": FILE_FORMAT},
        },
        "replaces": {
            **nullable(STRING),
            "description": (
                "The id of an earlier file of the caller's, of the same dataset type, that this "
                "one corrects: once this file is Completed, that one becomes Superseded and "
                "its rows leave analytics in the same commit. Null or absent: a new file."
            ),
        },
    },
}

# Downloads (api/downloads.py, api/admin_objects.py): the operators' object listing.
SCHEMAS["StoredObject"] = {
    "type": "object",
    "description": "One stored version of a file, as GET /admin/v1/objects lists it (SPEC §9).",
    "required": [
        "id",
        "customer",
        "app",
        "name",
        "type",
        "version",
        "size",
        "sha256",
        "uploadedAt",
    ],
    "properties": {
        "id": {"type": "integer", "description": "GET /admin/v1/objects/{id}/content reads it."},
        "customer": STRING,
        "app": {**nullable(STRING), "description": "null for a Files API upload."},
        "name": STRING,
        "type": nullable(STRING),
        "version": {"type": "integer", "minimum": 1},
        "size": {"type": "integer", "minimum": 0},
        "sha256": STRING,
        "uploadedAt": TIMESTAMP,
    },
}
SCHEMAS["StoredObjects"] = {
    "type": "object",
    "required": ["items", "nextCursor"],
    "properties": {
        "items": {"type": "array", "items": ref("StoredObject")},
        "nextCursor": nullable(STRING),
    },
}

# The admin API's portal users (api/admin_users.py).
PASSWORD: Json = {
    "type": "string",
    "minLength": MIN_PASSWORD_LENGTH,
    "maxLength": MAX_PASSWORD_LENGTH,
    "description": (
        f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters. Leave it out for a "
        "one-time password, answered once, that the user must change at the first sign-in."
    ),
}
SCHEMAS["User"] = {
    "type": "object",
    "description": "A portal user: never a password or its hash.",
    "required": [
        "email",
        "role",
        "customer",
        "enabled",
        "mustChangePassword",
        "createdAt",
        "passwordChangedAt",
        "disabledAt",
        "lastSignInAt",
    ],
    "properties": {
        "email": {"type": "string", "description": "Trimmed and lower-case."},
        "role": {"type": "string", "enum": [r.value for r in UserRole]},
        "customer": {**nullable(STRING), "description": "A member's customer; null: operator."},
        "enabled": {"type": "boolean"},
        "mustChangePassword": {
            "type": "boolean",
            "description": "The password is one-time: it must be changed at the next sign-in.",
        },
        "createdAt": TIMESTAMP,
        "passwordChangedAt": TIMESTAMP,
        "disabledAt": nullable(TIMESTAMP),
        "lastSignInAt": nullable(TIMESTAMP),
    },
}
SCHEMAS["Users"] = {
    "type": "object",
    "required": ["items", "nextCursor"],
    "properties": {
        "items": {"type": "array", "items": ref("User")},
        "nextCursor": {
            **nullable(STRING),
            "description": "Pass as ?cursor= for the next page; null on the last page.",
        },
    },
}
SCHEMAS["IssuedUser"] = {
    "description": "The user, and the one-time password when the system chose one (shown once).",
    "allOf": [
        ref("User"),
        {
            "type": "object",
            "required": ["oneTimePassword"],
            "properties": {"oneTimePassword": nullable(STRING)},
        },
    ],
}
SCHEMAS["NewUser"] = {
    "type": "object",
    "description": "POST /admin/v1/users: an operator, or a member of one customer.",
    "required": ["email", "role"],
    "additionalProperties": False,
    "properties": {
        "email": {"type": "string", "description": "Unique in any case, e.g. ann@example.com."},
        "role": {
            "type": "string",
            "enum": [r.value for r in UserRole],
            "description": "operator: every customer, no customer given; member: one customer.",
        },
        "customer": {**nullable(STRING), "description": "A member's customer (required then)."},
        "password": nullable(PASSWORD),
    },
}
SCHEMAS["PasswordReset"] = {
    "type": "object",
    "description": "The new password; no body or no password: a one-time password.",
    "additionalProperties": False,
    "properties": {"password": nullable(PASSWORD)},
}

# -- The admin API (SPEC §9): dataset types, every customer's files and submissions ----------

DATASET_TYPE_VERSION: Json = {
    "type": "object",
    "required": [
        "name", "version", "title", "fields", "headerPolicy", "maxBadRecords", "createdAt",
    ],
    "properties": {
        "name": STRING,
        "version": {"type": "integer", "minimum": 1},
        "title": nullable(STRING),
        "fields": {"type": "integer", "description": "How many fields the schema has."},
        "headerPolicy": {"type": "string", "enum": [p.value for p in HeaderPolicy]},
        "maxBadRecords": {"type": "integer", "minimum": 0},
        "createdAt": TIMESTAMP,
        "definition": {
            "type": "object",
            "description": "The whole definition, as POST /admin/v1/datasets takes it.",
        },
    },
}  # fmt: skip
SCHEMAS.update(
    {
        "DatasetTypeVersion": DATASET_TYPE_VERSION,
        "DatasetTypes": {
            "type": "object",
            "required": ["items", "nextCursor"],
            "properties": {
                "items": {"type": "array", "items": ref("DatasetTypeVersion")},
                "nextCursor": nullable(STRING),
            },
        },
        "DatasetTypeHistory": {
            "description": "The newest version in full, and every version, newest first.",
            "allOf": [
                ref("DatasetTypeVersion"),
                {
                    "type": "object",
                    "required": ["definition", "versions"],
                    "properties": {
                        "versions": {"type": "array", "items": ref("DatasetTypeVersion")}
                    },
                },
            ],
        },
        "DatasetTypeDefinition": {
            "type": "object",
            "description": (
                "A dataset type: a Table Schema and its policy, as `landingzone admin dataset "
                "add` reads it (docs/datasets.md)."
            ),
            "required": ["name", "schema"],
            "properties": {
                "name": {"type": "string", "pattern": f"^{DATASET_NAME}$"},
                "title": STRING,
                "description": STRING,
                "schema": {
                    "type": "object",
                    "required": ["fields"],
                    "properties": {
                        "fields": {"type": "array", "minItems": 1, "items": {"type": "object"}},
                        "missingValues": {"type": "array", "items": STRING},
                    },
                },
                "headerPolicy": {"type": "string", "enum": [p.value for p in HeaderPolicy]},
                "maxBadRecords": {"type": "integer", "minimum": 0},
            },
        },
        "AdminFile": {
            "description": "A file as GET /analytics/files/{id} answers it, plus its customer.",
            "allOf": [
                ref("File"),
                {"type": "object", "required": ["customer"], "properties": {"customer": STRING}},
            ],
        },
        "AdminFiles": {
            "type": "object",
            "required": ["items", "nextCursor"],
            "properties": {
                "items": {"type": "array", "items": ref("AdminFile")},
                "nextCursor": nullable(STRING),
            },
        },
        "Submission": {
            "type": "object",
            "description": "An Upload API submission's progress (never its data).",
            "required": ["token", "customer", "name", "clientId", "status", "createdAt"],
            "properties": {
                "token": {"type": "string", "description": "The processing token."},
                "customer": STRING,
                "name": STRING,
                "clientId": STRING,
                "status": {"type": "string", "enum": [s.value for s in SubmissionStatus]},
                "failureReason": nullable(STRING),
                "replacedBy": nullable(STRING),
                "dataRows": nullable(INTEGER),
                "eventRows": nullable(INTEGER),
                "errorCount": INTEGER,
                "createdAt": TIMESTAMP,
                "startedAt": nullable(TIMESTAMP),
                "finishedAt": nullable(TIMESTAMP),
            },
        },
        "Submissions": {
            "type": "object",
            "required": ["items", "nextCursor"],
            "properties": {
                "items": {"type": "array", "items": ref("Submission")},
                "nextCursor": nullable(STRING),
            },
        },
    }
)

# -- the admin API's tenants and audit log (SPEC §9) ---------------------------------------


def page_schema(item: str) -> Json:
    """A page of a listing: ``{"items": [...], "nextCursor": ...}``."""
    return {
        "type": "object",
        "required": ["items", "nextCursor"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "nextCursor": {
                **nullable(STRING),
                "description": "Pass as ?cursor= for the next page; null on the last page.",
            },
        },
    }


NAME_PATTERN = "^[A-Za-z0-9._-]{1,64}$"
LABEL: Json = {
    "type": "string",
    "maxLength": 200,
    "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$",
}
ADMIN_SCOPES = [s for s in ALL_SCOPES if s != "admin"]
SCHEMAS.update(
    {
        "AdminCustomer": {
            "type": "object",
            "required": ["name", "timezone", "disabled", "createdAt"],
            "properties": {
                "name": STRING,
                "timezone": STRING,
                "disabled": {"type": "boolean"},
                "createdAt": TIMESTAMP,
            },
        },
        "AdminCustomers": page_schema("AdminCustomer"),
        "TimeZone": {
            "type": "string",
            "enum": time_zones(),
            "description": "An IANA time zone name, e.g. Europe/Paris.",
        },
        "AdminNewCustomer": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {
                    "type": "string",
                    "pattern": NAME_PATTERN,
                    "description": "1-64 of A-Z a-z 0-9 . _ -, unique.",
                },
                "timezone": {**ref("TimeZone"), "default": "UTC"},
            },
        },
        "AdminCustomerChange": {
            "type": "object",
            "additionalProperties": False,
            "description": "What to change; at least one of the two (null: unchanged).",
            "minProperties": 1,
            "properties": {
                "timezone": nullable(ref("TimeZone")),
                "disabled": {
                    **nullable({"type": "boolean"}),
                    "description": (
                        "true: the customer's tokens stop working at once and it gets no new "
                        "ones; false: enabled again."
                    ),
                },
            },
        },
        "AdminApp": {
            "type": "object",
            "required": ["appId", "customer", "createdAt"],
            "properties": {"appId": STRING, "customer": STRING, "createdAt": TIMESTAMP},
        },
        "AdminApps": page_schema("AdminApp"),
        "AdminNewApp": {
            "type": "object",
            "additionalProperties": False,
            "required": ["appId"],
            "properties": {
                "appId": {
                    "type": "string",
                    "pattern": NAME_PATTERN,
                    "description": "1-64 of A-Z a-z 0-9 . _ -, unique within the customer.",
                }
            },
        },
        "AdminClient": {
            "type": "object",
            "description": "A client; never its secret or API key.",
            "required": [
                "clientId",
                "customer",
                "label",
                "scopes",
                "enabled",
                "createdAt",
                "lastUsedAt",
            ],
            "properties": {
                "clientId": STRING,
                "customer": {**nullable(STRING), "description": "null: an operator client."},
                "label": nullable(STRING),
                "scopes": {"type": "array", "items": STRING},
                "enabled": {"type": "boolean"},
                "createdAt": TIMESTAMP,
                "lastUsedAt": {
                    **nullable(TIMESTAMP),
                    "description": "When the client was last issued an access token.",
                },
            },
        },
        "AdminClients": page_schema("AdminClient"),
        "AdminNewClient": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "scopes": {
                    **nullable(
                        {"type": "array", "items": {"type": "string", "enum": ADMIN_SCOPES}}
                    ),
                    "description": (
                        "Absent, null or empty: every scope but admin, which only operator "
                        "clients hold."
                    ),
                },
                "label": {
                    **nullable(LABEL),
                    "description": "What the client is for, shown in listings.",
                },
            },
        },
        "AdminNewOperatorClient": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"label": nullable(LABEL)},
        },
        "ClientCredentials": {
            "type": "object",
            "description": (
                "The same document as `landingzone admin client create --json`: the secret "
                "and API key are shown once, here, and stored only as hashes."
            ),
            "required": ["client_id", "client_secret", "api_key", "customer", "scopes", "label"],
            "properties": {
                "client_id": STRING,
                "client_secret": STRING,
                "api_key": STRING,
                "customer": {**nullable(STRING), "description": "null: an operator client."},
                "scopes": {"type": "array", "items": STRING},
                "label": nullable(STRING),
            },
        },
        "AuditEntry": {
            "type": "object",
            "required": [
                "id",
                "at",
                "actor",
                "customer",
                "action",
                "target",
                "requestId",
                "outcome",
            ],
            "properties": {
                "id": INTEGER,
                "at": TIMESTAMP,
                "actor": {"type": "string", "description": "A client id, user:EMAIL or cli."},
                "customer": nullable(STRING),
                "action": {"type": "string", "examples": ["client.rotate"]},
                "target": STRING,
                "requestId": {
                    **nullable(STRING),
                    "description": "The X-Lz-Request-Id of the request that made the change.",
                },
                "outcome": STRING,
            },
        },
        "AuditEntries": page_schema("AuditEntry"),
    }
)
