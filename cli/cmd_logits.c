/* cmd_logits.c - `lmntk logits --model DIR --text "It was <mask>." --top 5`:
 * the top tokens and logits of the masked-LM head at the mask, as JSON. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "commands.h"
#include "model/outputs.h"
#include "tokenize/tokenizer.h"

static void usage(FILE *to) {
    fprintf(to, "usage: lmntk logits --model DIR --text TEXT [--top K]\n"
                "  TEXT must contain the mask token (<mask> for RoBERTa, [MASK] for BERT).\n"
                "  Prints {\"tokens\": [...], \"mask_position\": i, \"top\": [{\"id\", \"token\", \"logit\"}]}\n");
}

int cmd_logits(int argc, char **argv) {
    const char *model_dir = NULL, *text = NULL;
    int top = 5;
    cli_args a = {argc, argv, 1};
    const char *v;
    while (cli_next(&a)) {
        if (cli_flag(&a, "--help")) { usage(stdout); return 0; }
        else if ((v = cli_value(&a, "--model"))) model_dir = v;
        else if ((v = cli_value(&a, "--text"))) text = v;
        else if ((v = cli_value(&a, "--top"))) {
            if (cli_parse_int(v, 1, 1000000, &top)) return cli_bad("logits", "--top must be an integer >= 1");
        } else return cli_unknown("logits", &a);
    }
    if (!model_dir || !text) { usage(stderr); return 2; }

    lm_error err;
    lm_tokenizer *tok = lm_tokenizer_load(model_dir, &err);
    if (!tok) return cli_fail("logits", err.msg);
    lm_model m;
    if (lm_model_load(model_dir, NULL, &m, &err)) {
        lm_tokenizer_free(tok);
        return cli_fail("logits", err.msg);
    }
    lm_special_ids sp = lm_tokenizer_special(tok);
    int32_t *ids = NULL;
    size_t n = 0, cap = 0;
    ids = lm_xmalloc(sizeof *ids);
    cap = 1;
    ids[n++] = sp.cls;
    int rc = 1;
    if (lm_tokenize(tok, text, strlen(text), &ids, &n, &cap, &err)) {
        cli_fail("logits", err.msg);
        goto done;
    }
    if (n + 1 > cap) ids = lm_xrealloc(ids, (cap = n + 1) * sizeof *ids);
    ids[n++] = sp.sep;
    int mask = -1;
    for (size_t i = 0; i < n; i++)
        if (ids[i] == sp.mask) { mask = (int)i; break; }
    if (mask < 0) {
        fprintf(stderr, "lmntk logits: the text has no mask token (%s)\n",
                lm_id_to_token(tok, sp.mask));
        goto done;
    }
    lm_outputs_ws ws = {0};
    if (lm_batch_add(&ws.b, &m.cfg, ids, NULL, (int)n, &err)) {
        cli_fail("logits", err.msg);
        lm_outputs_ws_free(&ws);
        goto done;
    }
    int V = m.cfg.vocab_size;
    lm_output_spec os = {.head = LM_HEAD_MLM, .n_out = 1, .vocab = &ids[mask]};
    float f;
    lm_outputs_run(&ws, &m, &os, &mask, 0, &f, NULL);
    float *logits = lm_xmalloc((size_t)V * sizeof(float));
    lm_head_logits(&m, &ws.ha, NULL, V, logits);
    if (top > V) top = V;
    /* the top k by insertion into a sorted list */
    int *best = lm_xmalloc((size_t)top * sizeof(int));
    int nb = 0;
    for (int i = 0; i < V; i++) {
        if (nb == top && logits[i] <= logits[best[nb - 1]]) continue;
        int j = nb < top ? nb++ : nb - 1;
        while (j > 0 && logits[best[j - 1]] < logits[i]) {
            best[j] = best[j - 1];
            j--;
        }
        best[j] = i;
    }
    cJSON *out = cJSON_CreateObject(), *toks = cJSON_AddArrayToObject(out, "tokens");
    for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(toks, cJSON_CreateString(lm_id_to_token(tok, ids[i])));
    cJSON_AddNumberToObject(out, "mask_position", mask);
    cJSON *arr = cJSON_AddArrayToObject(out, "top");
    for (int i = 0; i < nb; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "id", best[i]);
        cJSON_AddStringToObject(e, "token", lm_id_to_token(tok, best[i]));
        char *dec = lm_detokenize(tok, &best[i], 1);
        cJSON_AddStringToObject(e, "text", dec);
        free(dec);
        cJSON_AddNumberToObject(e, "logit", logits[best[i]]);
        cJSON_AddItemToArray(arr, e);
    }
    char *s = cJSON_Print(out);
    printf("%s\n", s);
    free(s);
    cJSON_Delete(out);
    free(best);
    free(logits);
    lm_outputs_ws_free(&ws);
    rc = 0;
done:
    free(ids);
    lm_model_free(&m);
    lm_tokenizer_free(tok);
    return rc;
}
