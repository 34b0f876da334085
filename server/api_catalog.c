/* api_catalog.c - what a client may put in a spec: the registered models,
 * the tasks and the names of the spec's choices (formulas, solvers,
 * parameter sets, optimizers, precisions: the tables where common/ defines
 * them), and the spec's JSON Schema itself.  The dashboard reads every
 * name it offers from here. */
#include "api.h"

#include <string.h>
#include "models.h"
#include "prompt/task.h"
#include "spec/spec.h"

/* One entry of a vocabulary: its name as specs write it, and for people. */
static void add_word(cJSON *list, const char *name, const char *label, const char *key2, const char *v2) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "label", label);
    if (key2) cJSON_AddStringToObject(o, key2, v2);
    cJSON_AddItemToArray(list, o);
}

/* The names of the spec's choices, each in its defining table's order. */
static void add_vocabulary(cJSON *o) {
    cJSON *l = cJSON_AddArrayToObject(o, "formulas");
    for (int f = LM_KF_FIRST; f <= LM_KF_LAST; f++)
        add_word(l, lm_kernel_formula_name((lm_kernel_formula)f), lm_kernel_formula_label((lm_kernel_formula)f),
                 "formula", lm_kernel_formula_text((lm_kernel_formula)f));
    l = cJSON_AddArrayToObject(o, "solvers");
    for (int k = 0; k < LM_SOLVER_COUNT; k++)
        add_word(l, lm_solver_name((lm_solver_kind)k), lm_solver_description((lm_solver_kind)k), NULL, NULL);
    l = cJSON_AddArrayToObject(o, "param_sets");
    for (int p = 0; p < LM_PS_COUNT; p++)
        add_word(l, lm_param_set_name((lm_param_set)p), lm_param_set_description((lm_param_set)p), NULL, NULL);
    l = cJSON_AddArrayToObject(o, "optimizers");
    for (int k = 0; k < LM_OPT_COUNT; k++)
        add_word(l, lm_opt_name((lm_opt_kind)k), lm_opt_label((lm_opt_kind)k), "description",
                 lm_opt_description((lm_opt_kind)k));
    l = cJSON_AddArrayToObject(o, "precisions");
    for (int p = 0; lm_spec_precision_name((lm_spec_precision)p); p++)
        add_word(l, lm_spec_precision_name((lm_spec_precision)p),
                 lm_spec_precision_description((lm_spec_precision)p), NULL, NULL);
}

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
    add_vocabulary(o);
    lmd_reply_json(rep, 200, o);
}

void lmd_api_schema(lmd_request *req, lmd_reply *rep) {
    (void)req;
    size_t len;
    const char *text = lm_spec_schema_text(&len);
    lmd_reply_text(rep, 200, "application/schema+json", lm_xstrndup(text, len), len);
}
