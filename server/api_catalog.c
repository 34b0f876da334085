/* api_catalog.c - what a client may put in a spec: the registered models,
 * the tasks, and the spec's JSON Schema itself. */
#include "api.h"

#include <string.h>
#include "models.h"
#include "spec/spec.h"

void lmd_api_models(lmd_request *req, lmd_reply *rep) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "models", lmd_model_list(req->srv->cfg.models_dir));
    lmd_reply_json(rep, 200, o);
}

/* The task names are the schema's enum for "task": one source of truth. */
void lmd_api_tasks(lmd_request *req, lmd_reply *rep) {
    (void)req;
    size_t len;
    const char *text = lm_spec_schema_text(&len);
    cJSON *schema = cJSON_ParseWithLength(text, len);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(props, "task");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(task, "enum");
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "tasks");
    for (const cJSON *n = names ? names->child : NULL; n; n = n->next) {
        if (!cJSON_IsString(n)) continue;
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "name", n->valuestring);
        int classes = lm_spec_task_classes(n->valuestring);
        if (classes > 0) cJSON_AddNumberToObject(t, "classes", classes);
        else cJSON_AddNullToObject(t, "classes"); /* "custom": the spec's labels decide */
        cJSON_AddItemToArray(list, t);
    }
    cJSON_Delete(schema);
    lmd_reply_json(rep, 200, o);
}

void lmd_api_schema(lmd_request *req, lmd_reply *rep) {
    (void)req;
    size_t len;
    const char *text = lm_spec_schema_text(&len);
    lmd_reply_text(rep, 200, "application/schema+json", lm_xstrndup(text, len), len);
}
