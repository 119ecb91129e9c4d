/**
 * Generated from the gateway's OpenAPI document by `pnpm --filter @po/client generate`: do not edit.
 * packages/client/src/codegen/generated.test.ts fails when this file is stale.
 */
export interface paths {
    "/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Dead-lettered bus messages with their reasons, newest first; the next page is in the Link header (admin of tenant default) */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of dead letters, newest first */
                200: {
                    headers: {
                        Link?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DeadLetter"][];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Discard a dead letter (admin of tenant default) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The dead letter's seq */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters/{id}/replay": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replay a dead letter on its original subject, keeping its message id: a second replay changes nothing; the letter stays until deleted (admin of tenant default) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    /** @description The dead letter's seq */
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description What the replay did */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["DeadLetterReplay"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description alive, and which process answers */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            instance?: string;
                            service: string;
                            status: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The tenant's API keys (admin; never the keys themselves) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Keys */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["ApiKey"][];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Create an API key (admin). Tenant defaults to the caller's; only the operator tenant 'default' may name another */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        name: string;
                        /** @enum {string} */
                        role: "admin" | "submitter" | "viewer";
                        tenant_id?: string;
                    };
                };
            };
            responses: {
                /** @description Created */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["CreatedApiKey"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description PayloadTooLarge */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description UnsupportedMediaType */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API key (admin) */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Revoked */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipelines": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List pipelines, newest first; the next page is in the Link header (rel="next") */
        get: {
            parameters: {
                query?: {
                    created_after?: string;
                    created_before?: string;
                    cursor?: string;
                    limit?: number;
                    pipeline_type?: "DataProcessing" | "ModelTraining" | "ETL" | "Backup";
                    priority?: "Low" | "Normal" | "High" | "Critical";
                    status?: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled";
                    template?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description A page of pipelines (bare array, as the seed) */
                200: {
                    headers: {
                        Link?: string;
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pipeline"][];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Submit a pipeline */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description Idempotency-Key: the same key and body return the original pipeline (200) */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        config: {
                            [key: string]: unknown;
                        };
                        pipeline_type: ("DataProcessing" | "ModelTraining" | "ETL" | "Backup") | {
                            Custom: {
                                template: string;
                            };
                        };
                        /** @enum {string} */
                        priority: "Low" | "Normal" | "High" | "Critical";
                        timeout_seconds?: number | null;
                    };
                };
            };
            responses: {
                /** @description The pipeline created earlier with the same Idempotency-Key and body */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pipeline"];
                    };
                };
                /** @description Created (Queued) */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pipeline"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description PayloadTooLarge */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description UnsupportedMediaType */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipelines/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A pipeline with its attempts and timing */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The pipeline */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PipelineDetail"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipelines/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Cancel a queued or running pipeline (its Job is deleted after its partial logs are stored) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Cancelled */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pipeline"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipelines/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The pipeline's history: every transition with reason and time */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Events, oldest first */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PipelineEvent"][];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipelines/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stored logs per attempt and pod with timestamps; ?follow=true streams live lines as Server-Sent Events until the pipeline ends */
        get: {
            parameters: {
                query?: {
                    attempt?: number;
                    follow?: string;
                    since?: string;
                    tail?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Logs */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["PipelineLogs"];
                        "text/event-stream": string;
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/pipelines/{id}/restart": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Run a finished pipeline again as a new attempt with the same config */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Queued again */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Pipeline"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/quota": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's tenant quotas and how much of them is in use */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Quota */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TenantQuota"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/quotas/{tenant}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Replace a tenant's own quotas (the operator: an admin of tenant 'default') */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    tenant: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["SetTenantQuota"];
                };
            };
            responses: {
                /** @description Quota */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TenantQuota"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description PayloadTooLarge */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description UnsupportedMediaType */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness: Postgres and NATS reachable */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description ready */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            checks: {
                                [key: string]: string;
                            };
                            status: string;
                        };
                    };
                };
                /** @description not ready */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            checks: {
                                [key: string]: string;
                            };
                            status: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/templates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Built-in and registered templates */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Templates */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"][];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        /** Register a custom template (admin) */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TemplateSpec"];
                };
            };
            responses: {
                /** @description Registered */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description PayloadTooLarge */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description UnsupportedMediaType */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/templates/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One template */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Template */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        /** Register a new version of a custom template (admin) */
        put: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                };
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": components["schemas"]["TemplateSpec"];
                };
            };
            responses: {
                /** @description New version */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"];
                    };
                };
                /** @description Registered (first version) */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Template"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description PayloadTooLarge */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description UnsupportedMediaType */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        post?: never;
        /** Retire a custom template (admin); pipelines already created keep their rendered Job */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Forbidden: the key role may not do this */
                403: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description InvalidState */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/templates/{name}/versions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every version of a template, newest first (retired ones too: pipelines name the version they ran with) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Versions */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateVersion"][];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/templates/{name}/versions/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version of a template */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    name: string;
                    version: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Template version */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["TemplateVersion"];
                    };
                };
                /** @description InvalidConfig / TemplateError: the message names the field and why */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description NotFound */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
                /** @description ResourceQuotaExceeded (Retry-After) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/whoami": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The caller's tenant, role and API key (any role) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description The caller */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["WhoAmI"];
                    };
                };
                /** @description Unauthorized: missing or invalid API key */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": components["schemas"]["Error"];
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        ApiKey: {
            created_at: string;
            id: string;
            name: string;
            revoked_at: string | null;
            /** @enum {string} */
            role: "admin" | "submitter" | "viewer";
            tenant_id: string;
        };
        Attempt: {
            admitted_at: string | null;
            attempt: number;
            exit_code: number | null;
            finished_at: string | null;
            job_created_at: string | null;
            job_deleted_at: string | null;
            job_name: string;
            logs_bytes: number;
            logs_captured_at: string | null;
            logs_truncated: boolean;
            namespace: string;
            reason: string | null;
            started_at: string | null;
            /** @enum {string|null} */
            status: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled" | null;
        };
        CreatedApiKey: {
            created_at: string;
            id: string;
            /** @description The bearer key; shown only once */
            key: string;
            name: string;
            /** @enum {string} */
            role: "admin" | "submitter" | "viewer";
            tenant_id: string;
        };
        DeadLetter: {
            deliveries: number;
            /** @description The original message's id (idempotency key or envelope id), kept by a replay */
            message_id?: string;
            original_subject: string;
            /** @description Redacted (credentials replaced) and cut to 4 KiB */
            payload?: unknown;
            reason: string;
            seq: number;
            subject: string;
            time: string;
            /** @description The original's size, when cut */
            truncated_from?: number;
        };
        DeadLetterReplay: {
            /** @description intake: false when it already existed */
            created?: boolean;
            /** @description stream: dropped by JetStream as a repeat of a replay moments ago */
            duplicate?: boolean;
            /** @description The id the message kept (idempotency key or envelope id) */
            message_id: string;
            original_subject: string;
            /** @description intake: the pipeline the submission names */
            pipeline_id?: string;
            seq: number;
            /**
             * @description intake: handed to the NATS intake again; stream: published again on its stream
             * @enum {string}
             */
            via: "intake" | "stream";
        };
        Error: {
            error: string;
            /** @enum {string} */
            type: "NotFound" | "InvalidConfig" | "InvalidState" | "ResourceQuotaExceeded" | "Timeout" | "TemplateError" | "Unauthorized" | "Forbidden" | "PayloadTooLarge" | "UnsupportedMediaType" | "Internal";
        };
        LogLine: {
            attempt: number;
            line: string;
            pod: string;
            truncated?: boolean;
            ts: string | null;
        };
        Pipeline: {
            attempt: number;
            config: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            job_name: string;
            pipeline_type: ("DataProcessing" | "ModelTraining" | "ETL" | "Backup") | {
                Custom: {
                    template: string;
                };
            };
            /** @enum {string} */
            priority: "Low" | "Normal" | "High" | "Critical";
            /** @description Why and where a Queued pipeline waits (GET and list); null when not Queued */
            queue?: {
                /** @description The scheduler pass that recorded the reason (null: none has looked yet) */
                checked_at: string | null;
                /** @description The numbers behind it, as of checked_at: the tenant's running / max_running, cpu_millis / max_cpu_millis, memory_bytes / max_memory_bytes in use, the next pipeline's requests (next_cpu_millis, next_memory_bytes), global_running / global_max_running; null: no limit */
                details: {
                    [key: string]: number | string | unknown;
                };
                /** @example tenant acme has 20/20 pipelines running */
                message: string;
                /** @description Admission order (priority raised by aging, then oldest); null once admitted */
                position: {
                    /** @description Its place among every queued pipeline */
                    overall: number;
                    /** @description 1-based place in its tenant's queue (1: admitted next) */
                    tenant: number;
                } | null;
                /**
                 * @description Why it waits: Queued (next in line, or not looked at yet), TenantPaused (max_running 0), TenantConcurrencyQuota (max_running pipelines running), TenantResourceQuota (CPU or memory quota: the tenant's next pipeline does not fit), GlobalQuota (SCHEDULER_MAX_RUNNING, SCHEDULER_MAX_CPU or SCHEDULER_MAX_MEMORY reached), WaitingForKubernetes (admitted: its Job is being created or its pod started; if it lasts, the Kubernetes API is failing or refusing, or the cluster has no room)
                 * @enum {string}
                 */
                reason: "Queued" | "TenantPaused" | "TenantConcurrencyQuota" | "TenantResourceQuota" | "GlobalQuota" | "WaitingForKubernetes";
            } | null;
            reason: string | null;
            /** @enum {string} */
            status: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled";
            timeout_seconds: number;
            /** Format: date-time */
            updated_at: string;
        };
        PipelineDetail: {
            attempt: number;
            attempts: components["schemas"]["Attempt"][];
            config: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            created_at: string;
            /** Format: uuid */
            id: string;
            job_name: string;
            max_attempts: number;
            namespace: string;
            pipeline_type: ("DataProcessing" | "ModelTraining" | "ETL" | "Backup") | {
                Custom: {
                    template: string;
                };
            };
            /** @enum {string} */
            priority: "Low" | "Normal" | "High" | "Critical";
            /** @description Why and where a Queued pipeline waits (GET and list); null when not Queued */
            queue?: {
                /** @description The scheduler pass that recorded the reason (null: none has looked yet) */
                checked_at: string | null;
                /** @description The numbers behind it, as of checked_at: the tenant's running / max_running, cpu_millis / max_cpu_millis, memory_bytes / max_memory_bytes in use, the next pipeline's requests (next_cpu_millis, next_memory_bytes), global_running / global_max_running; null: no limit */
                details: {
                    [key: string]: number | string | unknown;
                };
                /** @example tenant acme has 20/20 pipelines running */
                message: string;
                /** @description Admission order (priority raised by aging, then oldest); null once admitted */
                position: {
                    /** @description Its place among every queued pipeline */
                    overall: number;
                    /** @description 1-based place in its tenant's queue (1: admitted next) */
                    tenant: number;
                } | null;
                /**
                 * @description Why it waits: Queued (next in line, or not looked at yet), TenantPaused (max_running 0), TenantConcurrencyQuota (max_running pipelines running), TenantResourceQuota (CPU or memory quota: the tenant's next pipeline does not fit), GlobalQuota (SCHEDULER_MAX_RUNNING, SCHEDULER_MAX_CPU or SCHEDULER_MAX_MEMORY reached), WaitingForKubernetes (admitted: its Job is being created or its pod started; if it lasts, the Kubernetes API is failing or refusing, or the cluster has no room)
                 * @enum {string}
                 */
                reason: "Queued" | "TenantPaused" | "TenantConcurrencyQuota" | "TenantResourceQuota" | "GlobalQuota" | "WaitingForKubernetes";
            } | null;
            reason: string | null;
            /** @enum {string} */
            status: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled";
            template: string;
            template_version: number;
            timeout_seconds: number;
            timing: {
                admitted_at: string | null;
                created_at: string;
                finished_at: string | null;
                queue_seconds: number | null;
                queued_at: string | null;
                run_seconds: number | null;
                started_at: string | null;
                total_seconds: number | null;
            };
            /** @description The pipeline's trace (W3C trace id, 32 hex): every step of its lifecycle is in it. */
            trace_id: string | null;
            /** @description Opens the trace in the trace UI: TRACE_UI_URL + /trace/ + trace_id; only when TRACE_UI_URL is set. */
            trace_url?: string;
            /** Format: date-time */
            updated_at: string;
        };
        PipelineEvent: {
            at: string;
            attempt: number;
            /** @enum {string|null} */
            from: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled" | null;
            id: number;
            kind: string;
            reason: string | null;
            /** @enum {string|null} */
            to: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled" | null;
        };
        PipelineLogs: {
            attempt: number;
            attempts: {
                attempt: number;
                /** @description The attempt's final capture is stored: its lines are complete. The terminal status is recorded first and the capture right after it, so a read just after a pipeline ends may say false */
                captured: boolean;
                job_name: string;
                logs_bytes: number;
                pods: string[];
                truncated: boolean;
            }[];
            lines: components["schemas"]["LogLine"][];
            pipeline_id: string;
            /** @enum {string} */
            status: "Queued" | "Running" | "Succeeded" | "Failed" | "Timeout" | "Cancelled";
            truncated: boolean;
        };
        SetTenantQuota: {
            /**
             * @description CPU quota (a Kubernetes quantity) over the requests of admitted, unfinished pipelines, parallelism counted; null or absent: the platform default (TENANT_MAX_CPU)
             * @example 4
             */
            max_cpu?: string | null;
            /**
             * @description Memory quota, counted the same way; null or absent: the platform default (TENANT_MAX_MEMORY)
             * @example 16Gi
             */
            max_memory?: string | null;
            /** @description 0 refuses new pipelines; null or absent: the platform default */
            max_queued?: number | null;
            /** @description 0 pauses the tenant; null or absent: the platform default */
            max_running?: number | null;
        };
        Template: {
            builtin: boolean;
            config_schema: {
                [key: string]: unknown;
            };
            default_timeout_seconds: number;
            defaults: {
                [key: string]: unknown;
            };
            description: string;
            image: string;
            name: string;
            resources: {
                [key: string]: string;
            };
            version: number;
        };
        /** @description A custom template: {name, description, image, command[], args[], env{}, resources{cpu_request,memory_request,cpu_limit,memory_limit}, configSchema{type:"object",properties,required?}, backoffLimit, defaultTimeoutSeconds, ttlSecondsAfterFinished?, retryableExitCodes?[]}. The version is assigned by the server. Placeholders {{key}} in command/args must name properties constrained by enum or an anchored safe pattern. */
        TemplateSpec: {
            [key: string]: unknown;
        };
        TemplateVersion: components["schemas"]["Template"] & {
            /** @description When this version was registered (null: built-in) */
            created_at: string | null;
            /** @description When the template was retired (DELETE); null while it is current or older but live */
            retired_at: string | null;
        };
        TenantQuota: {
            cpu_millis: number;
            /** @description CPU requested by its admitted, unfinished pipelines */
            cpu_requested: string;
            /**
             * @description CPU requests (parallelism counted) of the tenant's admitted, unfinished pipelines together; null: no limit
             * @example 4
             */
            max_cpu: string | null;
            max_cpu_millis: number | null;
            /**
             * @description Memory requests, counted the same way; null: no limit
             * @example 16Gi
             */
            max_memory: string | null;
            max_memory_bytes: number | null;
            /** @description Pipelines of the tenant that may wait Queued; beyond it POST /pipelines is 429 */
            max_queued: number;
            /** @description Pipelines of the tenant that may be Running (or starting) at once; more wait Queued */
            max_running: number;
            memory_bytes: number;
            memory_requested: string;
            /** @description The tenant's own quotas; null where the platform default applies */
            overrides: {
                max_cpu: string | null;
                max_memory: string | null;
                max_queued: number | null;
                max_running: number | null;
            };
            queued: number;
            running: number;
            tenant_id: string;
        };
        WhoAmI: {
            /** @description The API key (as in GET /keys); null for the dev key (DEV_API_KEY) */
            key_id: string | null;
            /** @description The key's name (`dev-key` for the dev key) */
            key_name: string;
            /** @enum {string} */
            role: "admin" | "submitter" | "viewer";
            tenant_id: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
