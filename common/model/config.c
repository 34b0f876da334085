/* config.c - HuggingFace config.json for RoBERTa and BERT. */
#include "model/config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

static int get_int(const cJSON *root, const char *key, int required, int dflt, int lo,
                   int hi, const char *what, int *out, lm_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return lm_fail(err, "%s: missing key \"%s\"", what, key);
        /* a default can be out of range too (pad_token_id 1 with vocab_size 1) */
        if (dflt < lo || dflt > hi)
            return lm_fail(err, "%s: key \"%s\" is missing and its default %d is outside [%d, %d]",
                           what, key, dflt, lo, hi);
        *out = dflt;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return lm_fail(err, "%s: key \"%s\" must be an integer", what, key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return lm_fail(err, "%s: key \"%s\" = %g is outside [%d, %d]", what, key,
                       v->valuedouble, lo, hi);
    *out = (int)v->valuedouble;
    return 0;
}

int lm_config_parse(const char *json, const char *what, lm_config *cfg, lm_error *err) {
    memset(cfg, 0, sizeof *cfg);
    cJSON *root = cJSON_Parse(json);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return lm_fail(err, "%s: not a JSON object", what);
    }
    int rc = -1;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (!cJSON_IsString(mt)) {
        lm_fail(err, "%s: missing key \"model_type\"", what);
        goto done;
    }
    if (strcmp(mt->valuestring, "roberta") == 0) cfg->arch = LM_ARCH_ROBERTA;
    else if (strcmp(mt->valuestring, "bert") == 0) cfg->arch = LM_ARCH_BERT;
    else {
        lm_fail(err, "%s: model_type \"%s\" is not supported (roberta, bert)", what,
                mt->valuestring);
        goto done;
    }
    int dflt_pad = cfg->arch == LM_ARCH_ROBERTA ? 1 : 0;
    if (get_int(root, "vocab_size", 1, 0, 1, 10000000, what, &cfg->vocab_size, err) ||
        get_int(root, "hidden_size", 1, 0, 1, 65536, what, &cfg->hidden, err) ||
        get_int(root, "num_hidden_layers", 1, 0, 1, 1024, what, &cfg->n_layers, err) ||
        get_int(root, "num_attention_heads", 1, 0, 1, 1024, what, &cfg->n_heads, err) ||
        get_int(root, "intermediate_size", 1, 0, 1, 1 << 20, what, &cfg->intermediate, err) ||
        get_int(root, "max_position_embeddings", 1, 0, 1, 1 << 20, what, &cfg->max_positions, err) ||
        get_int(root, "type_vocab_size", 0, 2, 1, 1024, what, &cfg->type_vocab_size, err) ||
        get_int(root, "pad_token_id", 0, dflt_pad, 0, cfg->vocab_size - 1, what,
                &cfg->pad_token_id, err))
        goto done;
    if (cfg->hidden % cfg->n_heads != 0) {
        lm_fail(err, "%s: hidden_size %d is not a multiple of num_attention_heads %d", what,
                cfg->hidden, cfg->n_heads);
        goto done;
    }
    const cJSON *eps = cJSON_GetObjectItemCaseSensitive(root, "layer_norm_eps");
    if (eps && !cJSON_IsNumber(eps)) {
        lm_fail(err, "%s: key \"layer_norm_eps\" must be a number", what);
        goto done;
    }
    cfg->ln_eps = eps ? (float)eps->valuedouble : 1e-12f;
    if (!(cfg->ln_eps > 0 && cfg->ln_eps < 1)) {
        lm_fail(err, "%s: key \"layer_norm_eps\" must be in (0, 1)", what);
        goto done;
    }
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, "hidden_act");
    const char *a = cJSON_IsString(act) ? act->valuestring : "gelu";
    if (act && !cJSON_IsString(act)) {
        lm_fail(err, "%s: key \"hidden_act\" must be a string", what);
        goto done;
    }
    if (strcmp(a, "gelu") == 0) cfg->act = LM_ACT_GELU;
    else if (strcmp(a, "gelu_new") == 0 || strcmp(a, "gelu_pytorch_tanh") == 0) cfg->act = LM_ACT_GELU_TANH;
    else if (strcmp(a, "relu") == 0) cfg->act = LM_ACT_RELU;
    else {
        lm_fail(err, "%s: hidden_act \"%s\" is not supported (gelu, gelu_new, relu)", what, a);
        goto done;
    }
    const cJSON *pet = cJSON_GetObjectItemCaseSensitive(root, "position_embedding_type");
    if (pet && (!cJSON_IsString(pet) || strcmp(pet->valuestring, "absolute") != 0)) {
        lm_fail(err, "%s: position_embedding_type must be \"absolute\"", what);
        goto done;
    }
    const cJSON *tie = cJSON_GetObjectItemCaseSensitive(root, "tie_word_embeddings");
    if (tie && !cJSON_IsBool(tie)) {
        lm_fail(err, "%s: key \"tie_word_embeddings\" must be true or false", what);
        goto done;
    }
    cfg->tie_word_embeddings = tie ? cJSON_IsTrue(tie) : 1;
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

int lm_config_load(const char *dir, lm_config *cfg, lm_error *err) {
    char *path = lm_path_join(dir, "config.json");
    char *text = lm_read_file(path, NULL, err);
    int rc = text ? lm_config_parse(text, path, cfg, err) : -1;
    free(text);
    free(path);
    return rc;
}

char *lm_config_to_json(const lm_config *c) {
    int roberta = c->arch == LM_ARCH_ROBERTA;
    cJSON *o = cJSON_CreateObject();
    cJSON *arch = cJSON_AddArrayToObject(o, "architectures");
    cJSON_AddItemToArray(arch, cJSON_CreateString(roberta ? "RobertaForMaskedLM" : "BertForMaskedLM"));
    cJSON_AddStringToObject(o, "model_type", roberta ? "roberta" : "bert");
    cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(o, "hidden_size", c->hidden);
    cJSON_AddNumberToObject(o, "num_hidden_layers", c->n_layers);
    cJSON_AddNumberToObject(o, "num_attention_heads", c->n_heads);
    cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate);
    cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_positions);
    cJSON_AddNumberToObject(o, "type_vocab_size", c->type_vocab_size);
    cJSON_AddNumberToObject(o, "pad_token_id", c->pad_token_id);
    if (roberta) {
        cJSON_AddNumberToObject(o, "bos_token_id", 0);
        cJSON_AddNumberToObject(o, "eos_token_id", 2);
    }
    /* the shortest decimal that reads back as the same float (1e-05, not 9.99999974737875e-06) */
    char eps[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(eps, sizeof eps, "%.*g", digits, (double)c->ln_eps);
        if (strtof(eps, NULL) == c->ln_eps) break;
    }
    cJSON_AddNumberToObject(o, "layer_norm_eps", strtod(eps, NULL));
    cJSON_AddStringToObject(o, "hidden_act", c->act == LM_ACT_GELU ? "gelu"
                            : c->act == LM_ACT_GELU_TANH ? "gelu_new" : "relu");
    cJSON_AddStringToObject(o, "position_embedding_type", "absolute");
    cJSON_AddBoolToObject(o, "tie_word_embeddings", c->tie_word_embeddings);
    cJSON_AddNumberToObject(o, "hidden_dropout_prob", 0.1);
    cJSON_AddNumberToObject(o, "attention_probs_dropout_prob", 0.1);
    cJSON_AddNumberToObject(o, "initializer_range", 0.02);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}
