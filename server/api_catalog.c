/* api_catalog.c - what a client may put in a spec: the registered models,
 * the tasks, and the spec's JSON Schema itself. */
#include "api.h"

#include <string.h>
#include "models.h"
#include "prompt/task.h"
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
        /* the built-in settings (spec §2.1), so that clients need no copy */
        lm_error err;
        lm_task *bt = classes > 0 ? lm_task_builtin(n->valuestring, &err) : NULL;
        if (bt) {
            cJSON *labels = cJSON_AddArrayToObject(t, "labels");
            cJSON *words = cJSON_AddArrayToObject(t, "label_words");
            for (int i = 0; i < bt->n_labels; i++) {
                cJSON_AddItemToArray(labels, cJSON_CreateString(bt->labels[i]));
                if (bt->label_words) cJSON_AddItemToArray(words, cJSON_CreateString(bt->label_words[i]));
            }
            if (bt->tmpl) cJSON_AddStringToObject(t, "template", bt->tmpl);
            cJSON_AddNumberToObject(t, "max_length", bt->max_len);
            cJSON_AddStringToObject(t, "metric", bt->metric);
            lm_task_free(bt);
        }
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
