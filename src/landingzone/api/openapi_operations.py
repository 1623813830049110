"""What each operation of the API takes and answers, for the OpenAPI document.

One entry per (method, path): the parameters and bodies that the route reads by
hand, its scopes, its answers and its error statuses. ``api/openapi.py`` merges
them into FastAPI's generated document.
"""

from __future__ import annotations

from landingzone.api.idempotency import IDEMPOTENCY_KEY as IDEMPOTENCY_KEY_HEADER
from landingzone.api.idempotency import REPLAYED as IDEMPOTENT_REPLAYED
from landingzone.api.openapi_schemas import (
    FILENAME_PATTERN,
    NOT_BLANK,
    STRING,
    Json,
    ref,
)
from landingzone.auth.scopes import ADMIN, CONNECTOR_WRITE, FILES_READ, FILES_WRITE
from landingzone.auth.scopes import UPLOAD_API as UPLOAD_API_SCOPE
from landingzone.auth.signing import (
    EXPIRES_PARAM,
    SIGNATURE_PARAM,
    UPLOAD_PARAM,
)
from landingzone.domain.idempotency import MAX_KEY_LENGTH
from landingzone.domain.models import FileStatus, SubmissionStatus
from landingzone.domain.names import MAX_FILENAME_BYTES
from landingzone.domain.paging import DEFAULT_PAGE, MAX_PAGE
from landingzone.domain.push import MAX_BATCH
from landingzone.domain.uploadapi import DATA_KEYS

ERRORS: dict[str, str] = {
    "400": "The query string is invalid; the message says which parameter and how to fix it.",
    "401": "No, a malformed, expired or revoked access token (WWW-Authenticate says which).",
    "403": "The access token lacks the operation's scope.",
    "404": "No such resource for this customer.",
    "408": "The body stalled: nothing arrived for LZ_BODY_IDLE_TIMEOUT seconds. Send it again.",
    "409": "Conflict with the current state; the message says what to do.",
    "413": "The body is larger than the limit.",
    "422": "The JSON body is invalid; the message says which field and how to fix it.",
    "429": "Rate limit exceeded: retry after Retry-After seconds.",
    "503": "A dependency (database or storage) is unavailable: retry after Retry-After seconds.",
}
RETRY_AFTER = {
    "description": "Seconds to wait before retrying.",
    "schema": {"type": "integer", "minimum": 0},
}
WWW_AUTHENTICATE = {"description": "The Bearer or Basic challenge.", "schema": STRING}


def error_response(status: str, description: str | None = None, schema: str = "Error") -> Json:
    """An error answer in the common body; a 401 always has WWW-Authenticate."""
    response: Json = {
        "description": description or ERRORS[status],
        "content": {"application/json": {"schema": ref(schema)}},
    }
    if status == "429":
        response["headers"] = {"Retry-After": {**RETRY_AFTER, "required": True}}
    elif status == "503":
        response["headers"] = {"Retry-After": RETRY_AFTER}
    elif status == "401":
        response["headers"] = {"WWW-Authenticate": {**WWW_AUTHENTICATE, "required": True}}
    return response


# The Upload API's own 401 (a Key, key or Username of another client) carries the
# Bearer challenge too: every 401 has one.
UPLOAD_API_401 = error_response(
    "401",
    "A missing or invalid access token, or a Key/key/Username that is not this client's.",
)


def query(name: str, schema: Json, description: str, *, required: bool = False) -> Json:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


LIMIT = query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
    "Page size.",
)
CURSOR = query(
    "cursor",
    {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"},
    "The nextCursor of the previous page (empty: the first page); anything else is a 400.",
)


def ok(schema: Json, description: str, media: str = "application/json") -> Json:
    return {"description": description, "content": {media: {"schema": schema}}}


READERS = (FILES_READ, FILES_WRITE)  # as api/files.py: an uploader polls its own files
# Idempotency-Key (api/idempotency.py, docs/api.md): what the server takes, as a pattern:
# the bare key, or the draft's Structured Field String with its two escapes.
IDEMPOTENCY_KEY_PATTERN = (
    f"^(?:[!#-~][!-~]{{0,{MAX_KEY_LENGTH - 1}}}"  # bare: visible ASCII, not opening a quote
    r'|"(?:[!#-\[\]-~]|\\["\\])'  # quoted: any but " and \, or those two escaped
    f'{{1,{MAX_KEY_LENGTH}}}")$'
)
IDEMPOTENCY_KEY: Json = {
    "name": IDEMPOTENCY_KEY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: a request with a key this client used in the last 24 hours "
        "answers the first request's 2xx answer again (Idempotent-Replayed: true) and creates "
        "nothing; the same key with another request is 422; while the first still runs, 409. "
        f"1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID is a good key), bare or "
        "double-quoted."
    ),
    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
}
REPLAYED_HEADERS: Json = {
    IDEMPOTENT_REPLAYED: {
        "description": "true when the answer is the replay of an earlier request's (same key).",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def replayable(answer: Json) -> Json:
    """A success answer that a request with an Idempotency-Key may get again, replayed."""
    return {**answer, "headers": REPLAYED_HEADERS}


# What each operation adds to FastAPI's: keyed by (method, path) as in the document.
# "errors" lists its error statuses besides 401/403/429/503, which every Bearer
# operation has.
OPERATIONS: dict[tuple[str, str], Json] = {
    ("post", "/oauth2/token"): {
        "description": (
            "The client-credentials grant (RFC 6749 §4.4); also served as POST /connect/token. "
            "Answers carry Cache-Control: no-store."
        ),
        "security": [{"basicAuth": []}, {}],
        "requestBody": {
            "required": True,
            "description": (
                "Client authentication: HTTP Basic (preferred), or the form fields client_id "
                "and client_secret instead; never both ways in one request."
            ),
            "content": {"application/x-www-form-urlencoded": {"schema": ref("TokenRequest")}},
        },
        "responses": {
            "200": ok(ref("TokenResponse"), "An access token."),
            "400": error_response(
                "400",
                "invalid_request, unsupported_grant_type or invalid_scope.",
                "OAuthError",
            ),
            "401": error_response(
                "401",
                "invalid_client: missing, malformed or wrong client credentials.",
                "OAuthError",
            ),
            "413": error_response("413"),
            "429": error_response("429"),
            "503": error_response("503"),
        },
    },
    ("get", "/services/push/v1/customer/apps/{appId}/upload"): {
        "scopes": (CONNECTOR_WRITE,),
        "parameters": [
            {
                **query(
                    "filenames",
                    {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_BATCH,
                        "uniqueItems": True,
                        "items": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": MAX_FILENAME_BYTES,
                            "pattern": FILENAME_PATTERN,
                        },
                    },
                    (
                        f"1 to {MAX_BATCH} distinct filenames, repeated: "
                        "?filenames=a.csv&filenames=b.csv. "
                        f"Each 1-{MAX_FILENAME_BYTES} bytes of UTF-8 after NFC normalisation; no "
                        "'/', '\\' or control characters; not '.' or '..'; no leading or trailing "
                        "space."
                    ),
                    required=True,
                ),
                "style": "form",
                "explode": True,
            },
            query(
                "type",
                {"type": "string"},  # enum: with_dataset_types
                (
                    "Routes the files: users, contracts, other, or the name of a dataset type "
                    "of this deployment (then tabular files are validated)."
                ),
            ),
        ],
        "responses": {"200": ok(ref("UploadUrls"), "Signed PUT URLs, in request order.")},
        "errors": ["400", "404"],
    },
    ("get", "/services/push/v1/customer/apps/{appId}/files"): {
        "scopes": (CONNECTOR_WRITE,),
        "parameters": [LIMIT, CURSOR],
        "responses": {"200": ok(ref("PushedFiles"), "One page of pushed files, newest first.")},
        "errors": ["400", "404"],
    },
    ("post", "/analytics/files/upload"): {
        "scopes": (FILES_WRITE,),
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("FileUploadRequest")}},
        },
        "parameters": [IDEMPOTENCY_KEY],
        "responses": {
            "201": replayable(ok(ref("IssuedFile"), "The file's id and its one-time upload URL."))
        },
        "errors": ["400", "404", "409", "413", "422"],
    },
    ("get", "/analytics/files/{id}"): {
        "scopes": READERS,
        "responses": {"200": ok(ref("File"), "The file's status and statistics.")},
        "errors": ["404"],
    },
    ("delete", "/analytics/files/{id}"): {
        "scopes": (FILES_WRITE,),
        "description": (
            "Retracts the file: status Deleted in one commit (audited as file.retract), then "
            "its rows leave analytics and its bytes are deleted; the row stays. Retracting a "
            "Deleted file again answers the same."
        ),
        "responses": {"200": ok(ref("File"), "The file, now Deleted.")},
        "errors": ["404"],
    },
    ("get", "/analytics/files"): {
        "scopes": READERS,
        "parameters": [
            query(
                "status",
                {"type": "string", "enum": [s.value for s in FileStatus]},
                "Only files with this status.",
            ),
            query("datasetType", STRING, "Only files of this dataset type."),
            LIMIT,
            CURSOR,
        ],
        "responses": {"200": ok(ref("Files"), "One page of files, newest first.")},
        "errors": ["400"],
    },
    ("get", "/analytics/files/{id}/errors"): {
        "scopes": READERS,
        "parameters": [
            query(
                "format",
                {"type": "string", "enum": ["json", "csv", ""], "default": "json"},
                "json: a JSON array; csv: a spreadsheet-safe CSV download; empty: json.",
            )
        ],
        "responses": {
            "200": {
                "description": "Every error the validator kept.",
                "content": {
                    "application/json": {"schema": {"type": "array", "items": ref("CellError")}},
                    "text/csv": {"schema": STRING},
                },
            }
        },
        "errors": ["400", "404"],
    },
    ("get", "/analytics/datasets/{datasetType}/summary"): {
        "scopes": READERS,
        "responses": {"200": ok(ref("DatasetSummary"), "Imported rows per file and per day.")},
        "errors": ["400", "404"],
    },
    ("post", "/UploadData"): {
        "scopes": (UPLOAD_API_SCOPE,),
        "description": "Also served as POST /api/UploadData.",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ref("UploadData")}},
        },
        "parameters": [IDEMPOTENCY_KEY],
        "responses": {
            "200": replayable(ok(ref("ProcessingToken"), "The submission's processing token.")),
            "401": UPLOAD_API_401,
        },
        "errors": ["400", "404", "409", "413", "422"],
    },
    ("get", "/GetResults"): {
        "scopes": (UPLOAD_API_SCOPE,),
        "description": "Also served as GET /api/GetResults.",
        "parameters": [
            query(
                "token",
                {"type": "string", "pattern": NOT_BLANK},
                "The processing token UploadData answered.",
                required=True,
            ),
            query(
                "dataKey",
                {"type": "string", "enum": list(DATA_KEYS)},
                "What to read.",
                required=True,
            ),
            query(
                "key",
                {"type": "string", "pattern": NOT_BLANK},
                "The client's API key.",
                required=True,
            ),
        ],
        "responses": {
            "200": ok(ref("Results"), "The status, feedback or results."),
            "401": UPLOAD_API_401,
        },
        "errors": ["400", "404", "409"],
    },
    ("get", "/healthz"): {
        "security": [],
        "responses": {"200": ok(ref("Health"), "The process answers.")},
    },
    ("get", "/readyz"): {
        "security": [],
        "responses": {
            "200": ok(ref("Health"), "Database and storage are reachable."),
            "503": error_response("503", "Not ready: the message names what is unreachable."),
        },
    },
}

OBJECT_PATH: Json = {
    "put": {
        "tags": ["objects"],
        "summary": "Upload one file to a signed URL (S3 pre-signed PUT semantics)",
        "description": (
            "The URL comes whole from the Push or Files API; its query string is its signature "
            "and must not be changed. Errors are S3's XML documents, not the JSON error body."
        ),
        "operationId": "put_object",
        "security": [],
        "parameters": [
            {
                "name": "key",
                "in": "path",
                "required": True,
                "description": "The object key, as in the signed URL.",
                "schema": STRING,
            },
            *(
                {
                    "name": name,
                    "in": "query",
                    "required": True,
                    "description": f"Part of the signature: {meaning}. Keep it as issued.",
                    "schema": schema,
                }
                for name, meaning, schema in (
                    (UPLOAD_PARAM, "the upload's id, the unit of single use", STRING),
                    (
                        EXPIRES_PARAM,
                        "the expiry, Unix time",
                        {"type": "string", "pattern": "^[0-9]+$"},
                    ),
                    (SIGNATURE_PARAM, "HMAC-SHA256 of method, key, id and expiry", STRING),
                )
            ),
            {
                "name": "Content-MD5",
                "in": "header",
                "required": False,
                "description": "Base64 MD5 of the body, verified when sent.",
                "schema": STRING,
            },
        ],
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
        "responses": {
            "200": {
                "description": "Stored durably.",
                "headers": {
                    "ETag": {
                        "description": "The quoted MD5 hex of the body.",
                        "schema": STRING,
                        "required": True,
                    },
                    "X-Lz-Version": {
                        "description": "The object's version: 1, then one more per upload.",
                        "schema": {"type": "integer", "minimum": 1},
                    },
                },
            },
            **{
                status: {
                    "description": description,
                    "content": {"application/xml": {"schema": ref("S3Error")}},
                }
                for status, description in {
                    "400": "EntityTooLarge, BadDigest, InvalidDigest, IncompleteBody, "
                    "InvalidArgument, RequestTimeout (the body stalled), ...",
                    "403": "AccessDenied (expired or used) or SignatureDoesNotMatch.",
                    "405": "Only PUT.",
                    "409": "Another PUT to this URL is in flight.",
                    "411": "MissingContentLength.",
                    "503": "SlowDown: retry after Retry-After seconds.",
                }.items()
            },
        },
    }
}


# OpenAPI links: where an answer's values feed the next request (clients, and
# schemathesis's stateful phase, follow them).
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, Json]]] = {
    ("post", "/analytics/files/upload", "201"): {
        "GetFile": ("get", "/analytics/files/{id}", {"id": "$response.body#/id"}),
        "GetFileErrors": ("get", "/analytics/files/{id}/errors", {"id": "$response.body#/id"}),
    },
    ("post", "/UploadData", "200"): {
        "GetResults": ("get", "/GetResults", {"token": "$response.body"}),
    },
}


# Downloads (api/downloads.py, api/admin_objects.py): the stored bytes, streamed or redirected.
DOWNLOAD_HEADERS: Json = {
    "ETag": {"description": "The quoted MD5 hex, as the upload's PUT answered.", "schema": STRING},
    "Content-Disposition": {
        "description": "attachment; filename=... (RFC 6266; filename* for non-ASCII names).",
        "schema": STRING,
    },
    "X-Lz-Sha256": {"description": "The SHA-256 hex of the whole stored file.", "schema": STRING},
    "Accept-Ranges": {"description": "bytes", "schema": STRING},
}
BYTES: Json = {"type": "string", "format": "binary"}
DOWNLOAD_ANSWERS: Json = {
    "200": {
        "description": (
            "The whole file, streamed; Content-Type as the name's extension says "
            "(application/octet-stream when it says nothing)."
        ),
        "headers": DOWNLOAD_HEADERS,
        "content": {"*/*": {"schema": BYTES}},
    },
    "206": {
        "description": "The one byte range the Range header asked for.",
        "headers": {
            **DOWNLOAD_HEADERS,
            "Content-Range": {"description": "bytes FIRST-LAST/SIZE", "schema": STRING},
        },
        "content": {"*/*": {"schema": BYTES}},
    },
    "304": {"description": "If-None-Match named this version's ETag: nothing sent."},
    "307": {
        "description": (
            "S3 storage: Location is a pre-signed GET of the object, valid 5 minutes, that "
            "answers with the same Content-Type and Content-Disposition. Follow it without "
            "the Authorization header."
        ),
        "headers": {"Location": {"description": "The pre-signed GET.", "schema": STRING}},
    },
    "409": error_response("409", "The file has no stored bytes; the message says why."),
    "416": error_response(
        "416", "The Range starts past the end of the file; Content-Range: bytes */SIZE."
    ),
}
RANGE_HEADERS = [
    {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": STRING,
    }
    for name, description in (
        ("Range", "One range: bytes=FIRST-LAST, bytes=FIRST- or bytes=-SUFFIX."),
        ("If-None-Match", "An ETag this reader has: 304 when it is still this version's."),
        ("If-Range", "The ETag the Range was computed on: the whole file if it changed."),
    )
]
OPERATIONS.update(
    {
        ("get", "/services/push/v1/customer/apps/{appId}/files/{fileName}/content"): {
            "scopes": (CONNECTOR_WRITE, FILES_READ),
            "parameters": [
                query(
                    "version",
                    {"type": "integer", "minimum": 1, "maximum": 999_999_999},
                    "A version the listing shows; absent: the newest upload of the name.",
                ),
                query("type", STRING, "Only uploads pushed with this type."),
                *RANGE_HEADERS,
            ],
            "responses": DOWNLOAD_ANSWERS,
            "errors": ["400", "404"],
        },
        ("get", "/analytics/files/{id}/content"): {
            "scopes": READERS,
            "parameters": RANGE_HEADERS,
            "responses": DOWNLOAD_ANSWERS,
            "errors": ["404"],
        },
        ("get", "/admin/v1/objects"): {
            "scopes": (ADMIN,),
            "parameters": [
                query("customer", STRING, "Only this customer's objects."),
                query("app", STRING, "Only objects pushed to apps with this id."),
                LIMIT,
                CURSOR,
            ],
            "responses": {"200": ok(ref("StoredObjects"), "One page of objects, newest first.")},
            "errors": ["400", "404"],
        },
        ("get", "/admin/v1/objects/{id}/content"): {
            "scopes": (ADMIN,),
            "parameters": RANGE_HEADERS,
            "responses": DOWNLOAD_ANSWERS,
            "errors": ["404"],
        },
        ("get", "/admin/v1/files/{id}/content"): {
            "scopes": (ADMIN,),
            "parameters": RANGE_HEADERS,
            "responses": DOWNLOAD_ANSWERS,
            "errors": ["404"],
        },
    }
)

# The admin API's portal users (api/admin_users.py).
ADMIN_USERS = "/admin/v1/users"
OPERATIONS.update(
    {
        ("get", ADMIN_USERS): {
            "scopes": (ADMIN,),
            "parameters": [
                query("customer", STRING, "Only the members of this customer."),
                LIMIT,
                CURSOR,
            ],
            "responses": {"200": ok(ref("Users"), "One page of users, oldest first.")},
            "errors": ["400", "404"],
        },
        ("post", ADMIN_USERS): {
            "scopes": (ADMIN,),
            "description": "The answer carries Cache-Control: no-store.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("NewUser")}},
            },
            "responses": {
                "201": ok(ref("IssuedUser"), "The user, and its one-time password if any.")
            },
            "errors": ["409", "413", "422"],
        },
        ("post", f"{ADMIN_USERS}/{{email}}/disable"): {
            "scopes": (ADMIN,),
            "responses": {"200": ok(ref("User"), "The user, disabled.")},
            "errors": ["404"],
        },
        ("post", f"{ADMIN_USERS}/{{email}}/enable"): {
            "scopes": (ADMIN,),
            "responses": {"200": ok(ref("User"), "The user, enabled.")},
            "errors": ["404"],
        },
        ("post", f"{ADMIN_USERS}/{{email}}/reset-password"): {
            "scopes": (ADMIN,),
            "description": "The answer carries Cache-Control: no-store.",
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": ref("PasswordReset")}},
            },
            "responses": {
                "200": ok(ref("IssuedUser"), "The user, and its one-time password if any.")
            },
            "errors": ["404", "413", "422"],
        },
    }
)

# -- The admin API (SPEC §9): dataset types, every customer's files and submissions ----------

ADMIN_LIMIT = query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": DEFAULT_PAGE},
    "Page size.",
)
CUSTOMER_FILTER = query("customer", STRING, "Only this customer's (an unknown name is a 404).")
SINCE_FILTER = query(
    "since",
    {"type": "string", "format": "date-time"},
    "Only those created at or after this ISO 8601 date or time (UTC unless it says).",
)
OPERATIONS.update(
    {
        ("get", "/admin/v1/datasets"): {
            "scopes": (ADMIN,),
            "parameters": [ADMIN_LIMIT, CURSOR],
            "responses": {"200": ok(ref("DatasetTypes"), "The newest version of each type.")},
            "errors": ["400"],
        },
        ("post", "/admin/v1/datasets"): {
            "scopes": (ADMIN,),
            "description": (
                "Adds a dataset type, or a new version when the name exists and the definition "
                "changed (an unchanged one is a 409). Audited as dataset.add."
            ),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("DatasetTypeDefinition")}},
            },
            "responses": {
                "201": ok(ref("DatasetTypeVersion"), "The version added, with its definition.")
            },
            "errors": ["400", "409", "413", "422"],
        },
        ("get", "/admin/v1/datasets/{name}"): {
            "scopes": (ADMIN,),
            "responses": {"200": ok(ref("DatasetTypeHistory"), "The type and its versions.")},
            "errors": ["400", "404"],
        },
        ("get", "/admin/v1/files"): {
            "scopes": (ADMIN,),
            "parameters": [
                CUSTOMER_FILTER,
                query(
                    "status",
                    {"type": "string", "enum": [s.value for s in FileStatus]},
                    "Only files with this status.",
                ),
                query("datasetType", STRING, "Only files of this dataset type (unknown: 404)."),
                SINCE_FILTER,
                ADMIN_LIMIT,
                CURSOR,
            ],
            "responses": {"200": ok(ref("AdminFiles"), "One page of files, newest first.")},
            "errors": ["400", "404"],
        },
        ("get", "/admin/v1/files/{id}"): {
            "scopes": (ADMIN,),
            "responses": {"200": ok(ref("AdminFile"), "The file and its first errors.")},
            "errors": ["400", "404"],
        },
        ("post", "/admin/v1/files/{id}/retry"): {
            "scopes": (ADMIN,),
            "description": (
                "Sends a Failed file back to Pending: the validation workers validate it again "
                "from the stored upload. 409 for a file that is not Failed, or that failed "
                "before its upload arrived. Audited as file.retry."
            ),
            "responses": {"200": ok(ref("AdminFile"), "The file, Pending again.")},
            "errors": ["400", "404", "409"],
        },
        ("delete", "/admin/v1/files/{id}"): {
            "scopes": (ADMIN,),
            "description": (
                "Retracts any customer's file, as DELETE /analytics/files/{id} does for its "
                "owner. Audited as file.retract."
            ),
            "responses": {"200": ok(ref("AdminFile"), "The file, now Deleted.")},
            "errors": ["400", "404"],
        },
        ("get", "/admin/v1/submissions"): {
            "scopes": (ADMIN,),
            "parameters": [
                CUSTOMER_FILTER,
                query(
                    "status",
                    {"type": "string", "enum": [s.value for s in SubmissionStatus]},
                    "Only submissions with this status.",
                ),
                SINCE_FILTER,
                ADMIN_LIMIT,
                CURSOR,
            ],
            "responses": {"200": ok(ref("Submissions"), "One page of submissions, newest first.")},
            "errors": ["400", "404"],
        },
    }
)


# -- the admin API's tenants and audit log (SPEC §9; api/admin_tenants.py, api/admin_audit.py) --

ADMIN_ONLY = (ADMIN,)


def json_body(schema: str) -> Json:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


ADMIN_PAGE = [LIMIT, CURSOR]
CREDENTIALS = ok(ref("ClientCredentials"), "The client's credentials, shown once.")
CLIENT_ANSWER = ok(ref("AdminClient"), "The client.")
OPERATIONS.update(
    {
        ("get", "/admin/v1/customers"): {
            "scopes": ADMIN_ONLY,
            "parameters": ADMIN_PAGE,
            "responses": {"200": ok(ref("AdminCustomers"), "One page of customers, oldest first.")},
            "errors": ["400"],
        },
        ("post", "/admin/v1/customers"): {
            "scopes": ADMIN_ONLY,
            "requestBody": json_body("AdminNewCustomer"),
            "responses": {"201": ok(ref("AdminCustomer"), "The new customer.")},
            "errors": ["400", "409", "413", "422"],
        },
        ("get", "/admin/v1/customers/{name}"): {
            "scopes": ADMIN_ONLY,
            "responses": {"200": ok(ref("AdminCustomer"), "The customer.")},
            "errors": ["400", "404"],
        },
        ("patch", "/admin/v1/customers/{name}"): {
            "scopes": ADMIN_ONLY,
            "requestBody": json_body("AdminCustomerChange"),
            "responses": {"200": ok(ref("AdminCustomer"), "The customer, changed.")},
            "errors": ["400", "404", "413", "422"],
        },
        ("get", "/admin/v1/customers/{name}/apps"): {
            "scopes": ADMIN_ONLY,
            "parameters": ADMIN_PAGE,
            "responses": {"200": ok(ref("AdminApps"), "One page of the customer's apps.")},
            "errors": ["400", "404"],
        },
        ("post", "/admin/v1/customers/{name}/apps"): {
            "scopes": ADMIN_ONLY,
            "requestBody": json_body("AdminNewApp"),
            "responses": {"201": ok(ref("AdminApp"), "The new app.")},
            "errors": ["400", "404", "409", "413", "422"],
        },
        ("get", "/admin/v1/customers/{name}/clients"): {
            "scopes": ADMIN_ONLY,
            "parameters": ADMIN_PAGE,
            "responses": {"200": ok(ref("AdminClients"), "One page of the customer's clients.")},
            "errors": ["400", "404"],
        },
        ("post", "/admin/v1/customers/{name}/clients"): {
            "scopes": ADMIN_ONLY,
            "requestBody": json_body("AdminNewClient"),
            "responses": {"201": CREDENTIALS},
            "errors": ["400", "404", "413", "422"],
        },
        ("get", "/admin/v1/clients"): {
            "scopes": ADMIN_ONLY,
            "parameters": ADMIN_PAGE,
            "responses": {"200": ok(ref("AdminClients"), "One page of the operator clients.")},
            "errors": ["400"],
        },
        ("post", "/admin/v1/clients"): {
            "scopes": ADMIN_ONLY,
            "description": "An operator client: no customer, scope admin and only that.",
            "requestBody": json_body("AdminNewOperatorClient"),
            "responses": {"201": CREDENTIALS},
            "errors": ["400", "413", "422"],
        },
        ("post", "/admin/v1/clients/{clientId}/disable"): {
            "scopes": ADMIN_ONLY,
            "responses": {"200": CLIENT_ANSWER},
            "errors": ["400", "404"],
        },
        ("post", "/admin/v1/clients/{clientId}/enable"): {
            "scopes": ADMIN_ONLY,
            "responses": {"200": CLIENT_ANSWER},
            "errors": ["400", "404"],
        },
        ("post", "/admin/v1/clients/{clientId}/rotate"): {
            "scopes": ADMIN_ONLY,
            "responses": {"200": CREDENTIALS},
            "errors": ["400", "404"],
        },
        ("get", "/admin/v1/audit"): {
            "scopes": ADMIN_ONLY,
            "parameters": [
                query("customer", STRING, "Only this customer's entries (404 if unknown)."),
                query("actor", STRING, "Only this actor's: a client id, user:EMAIL or cli."),
                query("action", STRING, "Only this action, e.g. client.rotate."),
                query(
                    "since",
                    {"type": "string", "format": "date-time"},
                    "Only entries from this time on (ISO 8601; a date alone is its midnight UTC).",
                ),
                *ADMIN_PAGE,
            ],
            "responses": {"200": ok(ref("AuditEntries"), "One page of entries, newest first.")},
            "errors": ["400", "404"],
        },
    }
)
LINKS[("post", "/admin/v1/datasets", "201")] = {
    "GetDatasetType": ("get", "/admin/v1/datasets/{name}", {"name": "$response.body#/name"}),
}
