/* test_spec.c - spec/: the experiment spec of the brief accepted as written,
 * bad specs rejected with the path of the offending field and the reason,
 * defaults filled (and equal to the schema's "default"s), normalised form
 * round-tripping, the schema loader refusing what it cannot check. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../check.h"
#include "spec/json_strict.h"
#include "spec/schema.h"
#include "spec/spec.h"
#include "prompt/task.h"

/* Test JSON is written with ' for " to stay readable; no test string needs a
 * real apostrophe. */
static char *dq(const char *s) {
    char *t = strdup(s);
    for (char *c = t; *c; c++)
        if (*c == '\'') *c = '"';
    return t;
}

static const char *brief_spec =
    "{\n"
    "  'model': 'MODEL_DIR',\n"
    "  'task': 'SST-2',\n"
    "  'data': '../shared/data/k-shot-1k-test/SST-2',\n"
    "  'k': 16,\n"
    "  'seeds': [13, 42],\n"
    "  'prompt': true,\n"
    "  'kernel': {'formula': 'sgd'},\n"
    "  'solver': {'name': 'lstsq', 'regularization': [0, 0.001, 0.01], 'f0_scaling': [0, 100]}\n"
    "}\n";

static void test_brief_spec(void) {
    char *json = dq(brief_spec);
    char field[256];
    lm_error err = {{0}};
    CHECK_MSG(lm_spec_validate(json, strlen(json), field, sizeof field, &err) == 0, "%s: %s", field, err.msg);
    lm_spec s;
    int rc = lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "%s: %s", field, err.msg);
    CHECK(s.model && strcmp(s.model, "MODEL_DIR") == 0);
    CHECK(strcmp(s.task, "SST-2") == 0 && strcmp(s.data, "../shared/data/k-shot-1k-test/SST-2") == 0);
    CHECK(s.k == 16 && s.n_seeds == 2 && s.seeds[0] == 13 && s.seeds[1] == 42);
    CHECK(s.prompt == 1 && s.binary == 0 && s.n_classes == 2 && s.max_length == 0);
    CHECK(s.has_kernel && s.kernel.n_formulas == 1 && s.kernel.formulas[0] == LM_KF_SGD);
    CHECK(s.kernel.params == LM_PS_ALL && s.kernel.precision == LM_SPEC_PREC_FP32);
    CHECK(s.kernel.projection_dim == 0);
    CHECK(s.kernel.shards == 0 && s.kernel.block_tokens == 0); /* "auto", the model's blocks */
    CHECK(s.solver.n_names == 1 && s.solver.names[0] == LM_SOLVER_LSTSQ);
    CHECK(s.solver.n_regularization == 3 && s.solver.regularization[1] == 0.001 &&
          s.solver.regularization[2] == 0.01);
    CHECK(s.solver.n_f0_scaling == 2 && s.solver.f0_scaling[0] == 0 && s.solver.f0_scaling[1] == 100);
    CHECK(s.solver.n_asym_lambda == 1 && s.solver.asym_lambda[0] == 0.5);
    CHECK(s.solver.n_gamma == 1 && s.solver.gamma[0] == 1);
    CHECK(s.n_finetune == 0 && !s.diagnostics.enabled && s.n_checkpoints == 0);
    CHECK(!s.prompt_template && !s.n_label_words && !s.n_labels && !s.name);
    lm_spec_free(&s);
    free(json);
}

static void test_defaults(void) {
    char *json = dq("{'task': 'RTE', 'data': 'd'}");
    char field[256];
    lm_error err;
    lm_spec s;
    CHECK(lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err) == 0);
    CHECK(s.model == NULL && s.k == 16 && s.n_seeds == 5);
    static const uint32_t seeds[] = {13, 21, 42, 87, 100};
    for (int i = 0; i < 5; i++) CHECK(s.seeds[i] == seeds[i]);
    CHECK(s.prompt == 1 && s.binary == 0 && s.n_classes == 2);
    CHECK(s.has_kernel && s.kernel.n_formulas == 1 && s.kernel.formulas[0] == LM_KF_SGD);
    CHECK(s.solver.n_names == 1 && s.solver.names[0] == LM_SOLVER_LOGISTIC);
    CHECK(s.solver.n_regularization == 1 && s.solver.regularization[0] == 0);
    CHECK(s.solver.n_f0_scaling == 1 && s.solver.f0_scaling[0] == 0);
    lm_spec_free(&s);
    free(json);

    /* finetune only: no kernel; finetune defaults; lora implies params. */
    json = dq("{'task': 'MNLI', 'data': 'd', 'finetune': [{'lr': 1e-5}, "
              "{'optimizer': 'sgd', 'lr': [1e-3, 1e-2], 'lora': {'r': 4}, 'seed': 7}]}");
    CHECK(lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err) == 0);
    CHECK(!s.has_kernel && s.n_finetune == 2 && s.n_classes == 3);
    /* fine-tuning is diagnosed by default (no "diagnostics": {} needed) */
    CHECK(s.diagnostics.enabled && s.diagnostics.min_linearization_gain == 0.5);
    CHECK(!s.finetune[0].save_weights);
    lm_finetune_config *f = &s.finetune[0];
    CHECK(f->optimizer == LM_OPT_ADAMW && f->n_lr == 1 && f->lr[0] == 1e-5);
    CHECK(f->n_batch_size == 1 && f->batch_size[0] == 8 && f->steps == 1000 && f->warmup == 0);
    CHECK(f->eval_every == 100 && f->weight_decay == 0 && f->max_grad_norm == 1);
    CHECK(f->params == LM_PS_ALL && !f->linearized && !f->has_seed);
    f = &s.finetune[1];
    CHECK(f->optimizer == LM_OPT_SGD && f->n_lr == 2 && f->lr[1] == 1e-2);
    CHECK(f->params == LM_PS_LORA && f->lora.r == 4 && f->lora.alpha == 16);
    CHECK(f->lora.targets == (LM_LORA_QUERY | LM_LORA_VALUE));
    CHECK(f->lora.init == LM_LORA_INIT_KAIMING && f->has_seed && f->seed == 7);
    lm_spec_free(&s);
    free(json);

    /* custom task with everything given; grids of every kind. */
    json = dq("{'name': 'n', 'description': 'd', 'checkpoints': ['c1', 'c2'], 'task': 'custom',"
              " 'data': 'd', 'k': 64, 'labels': ['neg', 'pos'], 'label_words': ['bad', 'good'],"
              " 'template': '*cls**sent_0*_It_was*mask*.*sep+*', 'binary': true, 'max_length': 256,"
              " 'kernel': {'formula': ['signgd', 'asymmetric_signgd'], 'params': 'lora',"
              "   'lora': {'r': 2, 'alpha': 4, 'targets': ['key', 'output'], 'init': 'gaussian', 'seed': 3},"
              "   'projection': {'dim': 1024, 'seed': 5}, 'precision': 'fp64'},"
              " 'solver': {'name': ['asym', 'svc'], 'asym_lambda': [0, 1], 'gamma': [0.5, 2]},"
              " 'finetune': [{'lr': 1, 'batch_size': [2, 4], 'steps': 10, 'warmup': 10,"
              "   'linearized': true, 'params': 'biases'}],"
              " 'diagnostics': {'max_kernel_distance': 0.2}}");
    int rc = lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "%s: %s", field, err.msg);
    CHECK(s.n_checkpoints == 2 && strcmp(s.checkpoints[1], "c2") == 0 && s.n_classes == 2);
    CHECK(s.binary && s.max_length == 256 && s.n_labels == 2 && s.n_label_words == 2);
    CHECK(s.kernel.n_formulas == 2 && s.kernel.formulas[1] == LM_KF_ASYM);
    CHECK(s.kernel.params == LM_PS_LORA && s.kernel.lora.r == 2 && s.kernel.lora.seed == 3);
    CHECK(s.kernel.lora.targets == (LM_LORA_KEY | LM_LORA_OUTPUT));
    CHECK(s.kernel.lora.init == LM_LORA_INIT_GAUSSIAN);
    CHECK(s.kernel.projection_dim == 1024 && s.kernel.projection_seed == 5);
    CHECK(s.kernel.precision == LM_SPEC_PREC_FP64);
    CHECK(s.solver.n_names == 2 && s.solver.names[0] == LM_SOLVER_ASYM);
    CHECK(s.solver.n_gamma == 2 && s.solver.gamma[1] == 2);
    CHECK(s.finetune[0].n_batch_size == 2 && s.finetune[0].batch_size[1] == 4);
    CHECK(s.finetune[0].params == LM_PS_BIASES && s.finetune[0].linearized);
    CHECK(s.diagnostics.enabled && s.diagnostics.max_kernel_distance == 0.2 &&
          s.diagnostics.min_kernel_ft_ratio == 0.9);
    lm_spec_free(&s);
    free(json);
    /* opting out of diagnostics; keeping the weights */
    json = dq("{'task': 'SST-2', 'data': 'd', 'finetune': [{'lr': 1e-5, 'save_weights': true}],"
              " 'diagnostics': {'enabled': false}}");
    rc = lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "%s: %s", field, err.msg);
    CHECK(!s.diagnostics.enabled && s.finetune[0].save_weights);
    lm_spec_free(&s);
    free(json);
}

typedef struct {
    const char *json;  /* ' stands for " */
    const char *field; /* expected path */
    const char *why;   /* expected substring of the reason */
} bad_case;

#define B "'task': 'SST-2', 'data': 'd', "

static const bad_case bad[] = {
    /* the document */
    {"[]", "", "must be an object"},
    {"null", "", "must be an object"},
    {"{}", "task", "is required"},
    {"{'task': 'SST-2'}", "data", "is required"},
    /* top-level fields */
    {"{'task': 'SST-3', 'data': 'd'}", "task", "must be one of \"SST-2\", \"sst-5\""},
    {"{'task': 'sst-2', 'data': 'd'}", "task", "must be one of"},
    {"{'task': 5, 'data': 'd'}", "task", "must be one of"},
    {"{" B "'data2': 1}", "data2", "unknown field"},
    {"{" B "'weird key': 1}", "[\"weird key\"]", "unknown field"},
    {"{'task': 'SST-2', 'data': ''}", "data", "must not be empty"},
    {"{" B "'k': 0}", "k", "must be >= 1"},
    {"{" B "'k': 4097}", "k", "must be <= 4096"},
    {"{" B "'k': 16.5}", "k", "must be an integer"},
    {"{" B "'k': '16'}", "k", "must be an integer"},
    {"{" B "'k': 1e400}", "k", "too large"},
    {"{" B "'k': -1e400}", "k", "too large"},
    {"{" B "'k': 1e300}", "k", "must be <= 4096"},
    {"{" B "'seeds': []}", "seeds", "must not be empty"},
    {"{" B "'seeds': 13}", "seeds", "must be an array"},
    {"{" B "'seeds': [13, 13]}", "seeds[1]", "repeats item [0]"},
    {"{" B "'seeds': [13, -1]}", "seeds[1]", "must be >= 0"},
    {"{" B "'seeds': [13, 4294967296]}", "seeds[1]", "must be <= 4294967295"},
    {"{" B "'seeds': [1e400]}", "seeds[0]", "too large"},
    {"{" B "'seeds': [13, 2.5]}", "seeds[1]", "must be an integer"},
    {"{" B "'prompt': 'yes'}", "prompt", "must be a boolean"},
    {"{" B "'prompt': 1}", "prompt", "must be a boolean"},
    {"{" B "'binary': null}", "binary", "must be a boolean"},
    {"{" B "'max_length': 4}", "max_length", "must be >= 8"},
    {"{" B "'description': 5}", "description", "must be a string"},
    {"{" B "'label_words': ['a']}", "label_words", "must have at least 2 items"},
    {"{" B "'label_words': ['a', '']}", "label_words[1]", "must not be empty"},
    /* kernel */
    {"{" B "'kernel': []}", "kernel", "must be an object"},
    {"{" B "'kernel': {'formula': 'adam'}}", "kernel.formula", "must be one of \"sgd\""},
    {"{" B "'kernel': {'formula': 5}}", "kernel.formula", "must be one of"},
    {"{" B "'kernel': {'formula': ['sgd', 'bad']}}", "kernel.formula[1]", "must be one of"},
    {"{" B "'kernel': {'formula': ['sgd', 'sgd']}}", "kernel.formula[1]", "repeats item [0]"},
    {"{" B "'kernel': {'formula': []}}", "kernel.formula", "must not be empty"},
    {"{" B "'kernel': {'formual': 'sgd'}}", "kernel.formual", "unknown field"},
    {"{" B "'kernel': {'params': 'some'}}", "kernel.params", "must be one of"},
    {"{" B "'kernel': {'projection': {}}}", "kernel.projection.dim", "is required"},
    {"{" B "'kernel': {'projection': {'dim': 0}}}", "kernel.projection.dim", "must be >= 1"},
    {"{" B "'kernel': {'projection': {'dim': 8, 'seed': -2}}}", "kernel.projection.seed", "must be >= 0"},
    {"{" B "'kernel': {'precision': 'fp16'}}", "kernel.precision", "must be one of"},
    {"{" B "'kernel': {'shards': 0}}", "kernel.shards", ""},
    {"{" B "'kernel': {'shards': 2.5}}", "kernel.shards", ""},
    {"{" B "'kernel': {'shards': 'many'}}", "kernel.shards", ""},
    {"{" B "'kernel': {'shards': 2, 'projection': {'dim': 8}}}", "kernel.shards", "not split into tiles"},
    {"{" B "'kernel': {'block_tokens': -1}}", "kernel.block_tokens", "must be >= 0"},
    {"{" B "'kernel': {'lora': {'r': 0}}}", "kernel.lora.r", "must be >= 1"},
    {"{" B "'kernel': {'lora': {'targets': ['query', 'qkv']}}}", "kernel.lora.targets[1]", "must be one of"},
    {"{" B "'kernel': {'params': 'all', 'lora': {}}}", "kernel.lora", "only used with params \"lora\""},
    /* solver */
    {"{" B "'solver': {'regularization': [0, -1]}}", "solver.regularization[1]", "must be >= 0"},
    {"{" B "'solver': {'regularization': -0.5}}", "solver.regularization", "must be >= 0"},
    {"{" B "'solver': {'regularization': '0.1'}}", "solver.regularization", "must be a number or an array"},
    {"{" B "'solver': {'regularization': [0, 1e400]}}", "solver.regularization[1]", "too large"},
    {"{" B "'solver': {'regularization': []}}", "solver.regularization", "must not be empty"},
    {"{" B "'solver': {'regularization': [0, 0.0]}}", "solver.regularization[1]", "repeats item [0]"},
    {"{" B "'solver': {'f0_scaling': [0, 1e13]}}", "solver.f0_scaling[1]", "must be <= 1000000000000"},
    {"{" B "'solver': {'name': 'ridge'}}", "solver.name", "must be one of \"lstsq\""},
    {"{" B "'solver': {'name': ['lstsq', 'ridge']}}", "solver.name[1]", "must be one of"},
    {"{" B "'solver': {'gamma': 0}}", "solver.gamma", "must be > 0"},
    {"{" B "'solver': {'asym_lambda': 1.5}}", "solver.asym_lambda", "must be <= 1"},
    {"{" B "'solver': {'lambda': 1}}", "solver.lambda", "unknown field"},
    {"{" B "'solver': {}, 'finetune': [{'lr': 1e-5}]}", "solver", "needs \"kernel\""},
    /* finetune */
    {"{" B "'finetune': []}", "finetune", "must not be empty"},
    {"{" B "'finetune': {'lr': 1e-5}}", "finetune", "must be an array"},
    {"{" B "'finetune': [{'optimizer': 'adam'}]}", "finetune[0].lr", "is required"},
    {"{" B "'finetune': [{'lr': 0}]}", "finetune[0].lr", "must be > 0"},
    {"{" B "'finetune': [{'lr': [1e-5, 2]}]}", "finetune[0].lr[1]", "must be <= 1"},
    {"{" B "'finetune': [{'lr': 1e-5, 'optimizer': 'rmsprop'}]}", "finetune[0].optimizer", "must be one of"},
    {"{" B "'finetune': [{'lr': 1e-5}, {'lr': 1e-5, 'steps': 0}]}", "finetune[1].steps", "must be >= 1"},
    {"{" B "'finetune': [{'lr': 1e-5, 'steps': 10, 'warmup': 20}]}", "finetune[0].warmup", "must be <= steps (10)"},
    {"{" B "'finetune': [{'lr': 1e-5, 'batch_size': [2, 0]}]}", "finetune[0].batch_size[1]", "must be >= 1"},
    {"{" B "'finetune': [{'lr': 1e-5, 'lora': {'alpha': 0}}]}", "finetune[0].lora.alpha", "must be > 0"},
    {"{" B "'finetune': [{'lr': 1e-5, 'linearized': 'no'}]}", "finetune[0].linearized", "must be a boolean"},
    {"{" B "'finetune': [{'lr': 1e-5, 'params': 'biases', 'lora': {}}]}", "finetune[0].lora", "only used with params"},
    {"{" B "'finetune': [{'lr': 1e-5, 'weight_decay': 2}]}", "finetune[0].weight_decay", "must be <= 1"},
    {"{" B "'finetune': [{'lr': 1e-5, 'save_weights': 1}]}", "finetune[0].save_weights", "must be a boolean"},
    {"{" B "'finetune': [{'lr': 1e-5, 'linearized': true, 'save_weights': true}]}", "finetune[0].save_weights",
     "cannot be combined with \"linearized\""},
    /* diagnostics, checkpoints */
    {"{" B "'diagnostics': {'enabled': true}}", "diagnostics", "needs \"finetune\""},
    {"{" B "'diagnostics': {'enabled': false, 'min_linearization_gain': -1}}", "diagnostics.min_linearization_gain", "must be >= 0"},
    {"{" B "'model': 'm', 'checkpoints': ['a']}", "checkpoints", "cannot be combined with \"model\""},
    {"{" B "'checkpoints': ['a', 'a']}", "checkpoints[1]", "repeats item [0]"},
    /* rules between fields */
    {"{'task': 'custom', 'data': 'd'}", "labels", "is required when task is \"custom\""},
    {"{'task': 'custom', 'data': 'd', 'labels': ['a', 'b']}", "template", "is required"},
    {"{'task': 'custom', 'data': 'd', 'labels': ['a', 'b'], 'template': '*cls**sent_0**mask**sep+*'}",
     "label_words", "is required"},
    {"{'task': 'custom', 'data': 'd', 'labels': ['a', 'b', 'c'], 'template': '*cls**mask*',"
     " 'label_words': ['x', 'y']}", "label_words", "must have 3 entries"},
    {"{'task': 'MNLI', 'data': 'd', 'binary': true}", "binary", "needs a 2-class task (MNLI has 3 classes)"},
    {"{" B "'template': '*cls**sent_0**sep+*'}", "template", "must contain *mask*"},
    {"{" B "'prompt': false, 'template': '*cls**mask*'}", "template", "only used when prompt is true"},
    {"{" B "'labels': ['a', 'b', 'c']}", "labels", "must have 2 entries"},
    /* duplicate keys */
    {"{" B "'kernel': {'formula': 'sgd'}, 'kernel': {}}", "kernel", "duplicate key"},
    {"{" B "'solver': {'name': 'lstsq', 'name': 'svc'}}", "solver.name", "duplicate key"},
    {"{" B "'task': 'SST-2'}", "task", "duplicate key"},
    /* malformed JSON: field "", the byte offset */
    {"", "", "at byte 0"},
    {"{'task': 'SST-2', 'data': 'd',}", "", "at byte 30"},
    {"{'task': 'SST-2' 'data': 'd'}", "", "at byte 17: expected ',' or '}'"},
    {"{'task': 'SST-2', 'data': 'd'", "", "at byte 29"},
    {"{'task': 'SST-2', 'data': 'd'} x", "", "at byte 31: expected end of input"},
    {"{" B "'k': 016}", "", "leading zero"},
    {"{" B "'k': NaN}", "", "expected a value"},
    {"{" B "'k': .5}", "", "expected a value"},
    {"{" B "'k': 1.}", "", "a digit after '.'"},
    {"{" B "'name': 'tab\there'}", "", "control characters"},
    {"{" B "'name': 'a\\x'}", "", "valid escape"},
    {"{'task': 'SST-2', 'data': 'd'", "", "end of input"},
    /* bad UTF-8 and bad escapes inside strings: the string's path */
    {"{'task': 'SST-2', 'data': '\xff'}", "data", "invalid UTF-8 in a string at byte 27"},
    {"{" B "'name': '\xc0\xaf'}", "name", "invalid UTF-8"},          /* overlong '/' */
    {"{" B "'name': 'a\xed\xa0\x80'}", "name", "invalid UTF-8"},     /* encoded surrogate */
    {"{" B "'name': '\xf4\x90\x80\x80'}", "name", "invalid UTF-8"},  /* above U+10FFFF */
    {"{" B "'label_words': ['ok', '\xe2\x82']}", "label_words[1]", "invalid UTF-8"}, /* cut */
    {"{" B "'name': 'a\\ud800b'}", "name", "lone surrogate"},
    {"{" B "'name': 'a\\udc00'}", "name", "lone surrogate"},
    {"{" B "'name': 'a\\u0000'}", "name", "NUL"},
    {"{" B "'\xff': 1}", "", "invalid UTF-8 in a key"},
    {"{" B "'kernel': {'\xfe': 1}}", "kernel", "invalid UTF-8 in a key"},
    /* pre-training experiments */
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r'}, 'task': 'SST-2'}", "task", "cannot be combined with \"pretrain\""},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r'}, 'model': 'm'}", "model", "cannot be combined"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c']}}", "pretrain.out", "is required"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': [], 'out': 'r'}}", "pretrain.corpus", "must not be empty"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'a/b'}}", "pretrain.out", "plain name"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': '.r'}}", "pretrain.out", "plain name"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'hidden': 100, 'heads': 3}}", "pretrain.heads", "divide"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'steps': 10, 'warmup': 11}}", "pretrain.warmup", "<= steps"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'steps': 10, 'save_steps': [5, 11]}}", "pretrain.save_steps[1]", "<= steps"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'resume': 'other/checkpoint-5'}}", "pretrain.resume", "checkpoint of this run"},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'mask_prob': 1}}", "pretrain.mask_prob", ""},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'lr': 0}}", "pretrain.lr", ""},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'pos_init': 'learned'}}", "pretrain.pos_init", ""},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'init_std': 0}}", "pretrain.init_std", ""},
    {"{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'depth': 3}}", "pretrain.depth", ""},
    {"{'data': 'd'}", "task", "is required (or give \"pretrain\")"},
    {"{'task': 'SST-2'}", "data", "is required"},
};

static void test_bad_specs(void) {
    size_t n = sizeof bad / sizeof bad[0];
    for (size_t i = 0; i < n; i++) {
        char *json = dq(bad[i].json);
        char field[256] = "unset";
        lm_error err = {{0}};
        int rc = lm_spec_validate(json, strlen(json), field, sizeof field, &err);
        CHECK_MSG(rc != 0, "case %zu accepted: %s", i, bad[i].json);
        CHECK_MSG(strcmp(field, bad[i].field) == 0, "case %zu: field \"%s\", want \"%s\" (%s)", i,
                  field, bad[i].field, err.msg);
        CHECK_MSG(strstr(err.msg, bad[i].why) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
                  bad[i].why);
        /* lm_spec_parse says the same and leaves nothing allocated. */
        lm_spec s;
        char field2[256];
        lm_error err2;
        CHECK(lm_spec_parse(json, strlen(json), &s, field2, sizeof field2, &err2) != 0);
        CHECK(strcmp(field, field2) == 0 && strcmp(err.msg, err2.msg) == 0);
        lm_spec_free(&s);
        free(json);
    }
    CHECK_MSG(n >= 40, "only %zu bad specs", n);
    fprintf(stderr, "test_spec: %zu bad specs rejected\n", n);

    /* Built at run time: too many seeds, an oversized document, deep nesting,
     * very many keys. */
    char buf[1024] = "{\"task\": \"SST-2\", \"data\": \"d\", \"seeds\": [";
    for (int i = 0; i < 33; i++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%d", i ? "," : "", i);
    strcat(buf, "]}");
    char field[256];
    lm_error err;
    CHECK(lm_spec_validate(buf, strlen(buf), field, sizeof field, &err) != 0);
    CHECK(strcmp(field, "seeds") == 0 && strstr(err.msg, "at most 32 items"));

    size_t big = LM_SPEC_MAX_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    CHECK(lm_spec_validate(huge, big, field, sizeof field, &err) != 0 && field[0] == '\0');
    CHECK(strstr(err.msg, "limit") != NULL);
    free(huge);

    char *deep = malloc(200001);
    for (int i = 0; i < 100000; i++) deep[i] = '[';
    for (int i = 0; i < 100000; i++) deep[100000 + i] = ']';
    CHECK(lm_spec_validate(deep, 200000, field, sizeof field, &err) != 0 && strstr(err.msg, "nested deeper"));
    free(deep);

    /* 60000 keys with the duplicate at the end: sorted, not quadratic. */
    size_t cap = 60000 * 16 + 64, len = 0;
    char *many = malloc(cap);
    len += (size_t)snprintf(many, cap, "{\"task\":\"SST-2\",\"data\":\"d\",\"description\":{");
    for (int i = 0; i < 60000; i++) len += (size_t)snprintf(many + len, cap - len, "\"k%d\":1,", i);
    len += (size_t)snprintf(many + len, cap - len, "\"k7\":2}}");
    clock_t t0 = clock();
    CHECK(lm_spec_validate(many, len, field, sizeof field, &err) != 0);
    CHECK_MSG(strcmp(field, "description.k7") == 0 && strstr(err.msg, "duplicate"), "%s: %s", field, err.msg);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
    free(many);

    /* A small field buffer truncates, never overflows. */
    char tiny[6];
    char *json = dq("{" B "'kernel': {'projection': {'dim': 0}}}");
    CHECK(lm_spec_validate(json, strlen(json), tiny, sizeof tiny, &err) != 0 && strcmp(tiny, "kerne") == 0);
    CHECK(lm_spec_validate(json, strlen(json), NULL, 0, NULL) != 0);
    free(json);
}

/* to_json -> text -> parse -> to_json gives the same text, which is valid. */
static void check_round_trip(const char *spec_json) {
    char *json = dq(spec_json);
    char field[256];
    lm_error err;
    lm_spec s, s2;
    int rc = lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "%s: %s", field, err.msg);
    cJSON *norm = lm_spec_to_json(&s);
    char *text = cJSON_PrintUnformatted(norm);
    rc = lm_spec_parse(text, strlen(text), &s2, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "normalised form rejected: %s: %s\n%s", field, err.msg, text);
    cJSON *norm2 = lm_spec_to_json(&s2);
    char *text2 = cJSON_PrintUnformatted(norm2);
    CHECK_MSG(strcmp(text, text2) == 0, "\n%s\n%s", text, text2);
    free(text);
    free(text2);
    cJSON_Delete(norm);
    cJSON_Delete(norm2);
    lm_spec_free(&s);
    lm_spec_free(&s2);
    free(json);
}

static void test_round_trips(void) {
    check_round_trip(brief_spec);
    check_round_trip("{'name': 'p', 'pretrain': {'tokenizer': 'default', 'corpus': ['a.txt', 'b.txt.gz'], 'out': 'r'}}");
    check_round_trip("{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'resume': 'r/checkpoint-5',"
                     " 'layers': 2, 'hidden': 64, 'heads': 2, 'ffn': 128, 'block': 64, 'batch': 8, 'steps': 50,"
                     " 'warmup': 0, 'lr': 0.003, 'weight_decay': 0, 'mask_prob': 0.3, 'init_std': 0.03, 'pos_init': 'normal', 'seed': 7,"
                     " 'save_steps': [0, 25], 'log_every': 5}}");
    {
        /* a pre-training spec's defaults: those of `lmntk pretrain`, warmup 6% */
        char *pj = dq("{'pretrain': {'tokenizer': 't', 'corpus': ['c'], 'out': 'r', 'steps': 500}}");
        lm_spec ps;
        char pf[256];
        lm_error pe;
        CHECK(lm_spec_parse(pj, strlen(pj), &ps, pf, sizeof pf, &pe) == 0);
        CHECK(ps.is_pretrain && ps.pretrain.layers == 4 && ps.pretrain.hidden == 256 && ps.pretrain.heads == 4 &&
              ps.pretrain.ffn == 1024 && ps.pretrain.block == 128 && ps.pretrain.batch == 16 &&
              ps.pretrain.warmup == 30 && ps.pretrain.lr == 1e-3 && ps.pretrain.mask_prob == 0.15 &&
              !strcmp(ps.pretrain.pos_init, "sinusoidal") && ps.pretrain.init_std == 0.05 && ps.pretrain.seed == 42 && ps.pretrain.n_save_steps == 0 && ps.pretrain.n_corpus == 1 &&
              !ps.pretrain.resume && !ps.task);
        lm_spec_free(&ps);
        free(pj);
    }
    check_round_trip("{'task': 'QQP', 'data': 'x'}");
    check_round_trip("{'task': 'SST-2', 'data': 'x', 'kernel': {'shards': 7, 'block_tokens': 64}}");
    check_round_trip("{'task': 'SST-2', 'data': 'x', 'kernel': {'shards': 'auto'}}");
    {
        /* shards as a number, "auto" and absent; the block size */
        static const struct { const char *json; int shards, block_tokens; } sh[] = {
            {"{'task': 'SST-2', 'data': 'x', 'kernel': {'shards': 8, 'block_tokens': 16}}", 8, 16},
            {"{'task': 'SST-2', 'data': 'x', 'kernel': {'shards': 'auto'}}", 0, 0},
            {"{'task': 'SST-2', 'data': 'x', 'kernel': {'shards': 1, 'projection': {'dim': 4}}}", 1, 0},
        };
        for (size_t i = 0; i < sizeof sh / sizeof sh[0]; i++) {
            char *j = dq(sh[i].json), f[256];
            lm_spec ks;
            lm_error e;
            CHECK_MSG(lm_spec_parse(j, strlen(j), &ks, f, sizeof f, &e) == 0, "%s: %s", f, e.msg);
            CHECK(ks.kernel.shards == sh[i].shards && ks.kernel.block_tokens == sh[i].block_tokens);
            lm_spec_free(&ks);
            free(j);
        }
    }
    check_round_trip("{'name': 'e', 'task': 'custom', 'data': 'd', 'labels': ['0', '1', '2'], 'prompt': false,"
                     " 'seeds': [4294967295, 0], 'kernel': {'params': 'lora', 'projection': {'dim': 7}},"
                     " 'solver': {'regularization': [1e-9, 0.1, 1e6], 'f0_scaling': 123.456},"
                     " 'finetune': [{'lr': [2e-5, 0.3], 'seed': 1, 'lora': {'targets': ['output', 'query']}}],"
                     " 'diagnostics': {'enabled': true, 'min_kernel_ft_ratio': 0.95}}");
    /* The normalised form of the brief's spec has grids as arrays. */
    char *json = dq(brief_spec);
    char field[256];
    lm_error err;
    lm_spec s;
    CHECK(lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err) == 0);
    cJSON *o = lm_spec_to_json(&s);
    char *text = cJSON_PrintUnformatted(o);
    CHECK_MSG(strstr(text, "\"kernel\":{\"formula\":[\"sgd\"],\"params\":\"all\",\"precision\":\"fp32\"}") &&
              strstr(text, "\"name\":[\"lstsq\"],\"regularization\":[0,0.001,0.01],\"f0_scaling\":[0,100]"),
              "%s", text);
    free(text);
    cJSON_Delete(o);
    lm_spec_free(&s);
    free(json);
}

/* ---- the schema itself ---------------------------------------------- */

static lm_schema *load_embedded(void) {
    size_t len;
    const char *text = lm_spec_schema_text(&len);
    lm_error err;
    lm_schema *sc = lm_schema_load(text, len, &err);
    CHECK_MSG(sc != NULL, "%s", err.msg);
    return sc;
}

static int grid_equal(const cJSON *def, const cJSON *got) {
    if (cJSON_IsArray(got) && !cJSON_IsArray(def) && cJSON_GetArraySize(got) == 1)
        got = got->child; /* a scalar default becomes a one-element grid */
    if (cJSON_IsNumber(def)) return cJSON_IsNumber(got) && def->valuedouble == got->valuedouble;
    return cJSON_Compare(def, got, 1);
}

/* Every "default" of the schema is what lm_spec fills in: walks the schema
 * beside a normalised spec in which every optional object is present. */
static int walk_defaults(const lm_schema *sc, const cJSON *sch, const cJSON *val, const char *path,
                         const char *skip) {
    int checked = 0;
    sch = lm_schema_deref(sc, sch);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(sch, "properties");
    for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
        const cJSON *sub = lm_schema_deref(sc, p);
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(p, "default");
        if (!def) def = cJSON_GetObjectItemCaseSensitive(sub, "default");
        const cJSON *got = cJSON_GetObjectItemCaseSensitive(val, p->string);
        if (def && !(skip && strcmp(skip, p->string) == 0)) {
            char *d = cJSON_PrintUnformatted(def), *g = got ? cJSON_PrintUnformatted(got) : NULL;
            CHECK_MSG(got && grid_equal(def, got), "%s.%s: schema default %s, filled %s", path, p->string,
                      d, g ? g : "(absent)");
            free(d);
            free(g);
            checked++;
        }
        char sub_path[256];
        snprintf(sub_path, sizeof sub_path, "%s.%s", path, p->string);
        if (cJSON_IsObject(got)) checked += walk_defaults(sc, sub, got, sub_path, skip);
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(sub, "items");
        if (cJSON_IsArray(got) && items)
            for (const cJSON *x = got->child; x; x = x->next)
                if (cJSON_IsObject(x)) checked += walk_defaults(sc, items, x, sub_path, skip);
    }
    return checked;
}

static cJSON *normalised(const char *spec_json) {
    char *json = dq(spec_json);
    char field[256];
    lm_error err;
    lm_spec s;
    int rc = lm_spec_parse(json, strlen(json), &s, field, sizeof field, &err);
    CHECK_MSG(rc == 0, "%s: %s", field, err.msg);
    cJSON *o = rc == 0 ? lm_spec_to_json(&s) : cJSON_CreateObject();
    lm_spec_free(&s);
    free(json);
    return o;
}

static void test_schema_defaults(void) {
    lm_schema *sc = load_embedded();
    if (!sc) return;
    const cJSON *root = lm_schema_root(sc);
    cJSON *a = normalised("{'task': 'SST-2', 'data': 'd', 'kernel': {'projection': {'dim': 4}},"
                          " 'solver': {}, 'finetune': [{'lr': 0.1}], 'diagnostics': {}}");
    int n = walk_defaults(sc, root, a, "", NULL);
    /* With lora objects, params is "lora" rather than its default. */
    cJSON *b = normalised("{'task': 'SST-2', 'data': 'd', 'kernel': {'lora': {}},"
                          " 'finetune': [{'lr': 0.1, 'lora': {}}], 'diagnostics': {}}");
    n += walk_defaults(sc, root, b, "", "params");
    CHECK_MSG(n >= 35, "only %d defaults compared", n);
    fprintf(stderr, "test_spec: %d schema defaults match the filled values\n", n);
    cJSON_Delete(a);
    cJSON_Delete(b);

    /* The examples in the schema are valid specs. */
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "examples");
    CHECK(cJSON_GetArraySize(ex) >= 2);
    for (const cJSON *e = ex ? ex->child : NULL; e; e = e->next) {
        char *t = cJSON_PrintUnformatted(e);
        char field[256];
        lm_error err;
        CHECK_MSG(lm_spec_validate(t, strlen(t), field, sizeof field, &err) == 0, "example: %s: %s", field, err.msg);
        free(t);
    }

    /* The C capacities hold what the schema allows. */
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(root, "properties");
    const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(props, "seeds");
    CHECK(cJSON_GetObjectItemCaseSensitive(seeds, "maxItems")->valuedouble <= LM_SPEC_MAX_SEEDS);
    const cJSON *ft = cJSON_GetObjectItemCaseSensitive(props, "finetune");
    CHECK(cJSON_GetObjectItemCaseSensitive(ft, "maxItems")->valuedouble <= LM_SPEC_MAX_FINETUNE);
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(root, "$defs");
    static const char *grids[] = {"lrGrid", "regularizationGrid", "f0Grid", "unitGrid", "positiveGrid"};
    for (size_t i = 0; i < sizeof grids / sizeof grids[0]; i++) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(defs, grids[i]);
        const cJSON *arr = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g, "anyOf"), 1);
        CHECK(cJSON_GetObjectItemCaseSensitive(arr, "maxItems")->valuedouble <= LM_SPEC_MAX_GRID);
    }
    lm_schema_free(sc);
}

static void expect_schema_refused(const char *schema, const char *why) {
    char *t = dq(schema);
    lm_error err;
    lm_schema *sc = lm_schema_load(t, strlen(t), &err);
    CHECK_MSG(sc == NULL, "accepted: %s", schema);
    CHECK_MSG(sc || strstr(err.msg, why), "\"%s\" lacks \"%s\"", err.msg, why);
    lm_schema_free(sc);
    free(t);
}

static void test_schema_loader(void) {
    expect_schema_refused("{'type': 'string', 'pattern': '^a'}", "unsupported keyword \"pattern\"");
    expect_schema_refused("{'properties': {'a': {'if': {}}}}", "#/properties/a: unsupported keyword \"if\"");
    expect_schema_refused("{'$ref': '#/$defs/missing'}", "$ref");
    expect_schema_refused("{'type': 'float'}", "bad \"type\"");
    expect_schema_refused("{'minLength': -1}", "non-negative integer");
    expect_schema_refused("{'anyOf': []}", "non-empty");
    expect_schema_refused("{'type': 'string',}", "malformed JSON");

    /* oneOf, allOf, const, type lists, boolean schemas. */
    char *t = dq("{'type': 'object', 'properties': {"
                 " 'a': {'oneOf': [{'type': 'integer'}, {'minimum': 5}]},"
                 " 'b': {'allOf': [{'type': ['string', 'null']}, {'maxLength': 2}]},"
                 " 'c': {'const': [1, {'x': true}]}, 'd': false, 'e': true}}");
    lm_error err;
    lm_schema *sc = lm_schema_load(t, strlen(t), &err);
    CHECK_MSG(sc != NULL, "%s", err.msg);
    static const struct { const char *doc, *field, *why; int ok; } cases[] = {
        {"{'a': 3}", "", "", 1},
        {"{'a': 5.5}", "", "", 1},
        {"{'a': 7}", "a", "exactly one", 0},
        {"{'a': 2.5}", "a", ">= 5", 0},
        {"{'b': null}", "", "", 1},
        {"{'b': 'abc'}", "b", "at most 2 characters", 0},
        {"{'b': '\xc3\xa9\xc3\xa9'}", "", "", 1}, /* 2 code points, 4 bytes */
        {"{'b': 1}", "b", "must be a string or null", 0},
        {"{'c': [1.0, {'x': true}]}", "", "", 1},
        {"{'c': [1, {'x': false}]}", "c", "must be [1,{\"x\":true}]", 0},
        {"{'d': 1}", "d", "is not allowed", 0},
        {"{'e': {'anything': [1]}}", "", "", 1},
    };
    for (size_t i = 0; sc && i < sizeof cases / sizeof cases[0]; i++) {
        char *doc = dq(cases[i].doc);
        char field[64];
        cJSON *v = lm_json_parse_strict(doc, strlen(doc), field, sizeof field, &err);
        CHECK(v != NULL);
        int rc = lm_schema_validate(sc, v, field, sizeof field, &err);
        CHECK_MSG((rc == 0) == cases[i].ok, "schema case %zu", i);
        if (!cases[i].ok) {
            CHECK_MSG(strcmp(field, cases[i].field) == 0, "schema case %zu: field %s", i, field);
            CHECK_MSG(strstr(err.msg, cases[i].why), "schema case %zu: %s", i, err.msg);
        }
        cJSON_Delete(v);
        free(doc);
    }
    lm_schema_free(sc);
    free(t);
}

/* The strict reader on valid input: escapes, surrogate pairs, numbers. */
static void test_json_strict(void) {
    const char *doc = "{\"s\": \"a\\n\\u00e9\\ud83d\\ude00\\/\\\"\", \"n\": [-0, 1.5e-3, 1E+2, 0.0],"
                      " \"t\": true, \"f\": false, \"z\": null, \"o\": {}, \"a\": []}";
    char field[64];
    lm_error err;
    cJSON *v = lm_json_parse_strict(doc, strlen(doc), field, sizeof field, &err);
    CHECK_MSG(v != NULL, "%s", err.msg);
    if (!v) return;
    CHECK(strcmp(cJSON_GetObjectItem(v, "s")->valuestring, "a\n\xc3\xa9\xf0\x9f\x98\x80/\"") == 0);
    const cJSON *n = cJSON_GetObjectItem(v, "n");
    CHECK(cJSON_GetArrayItem(n, 1)->valuedouble == 1.5e-3 && cJSON_GetArrayItem(n, 2)->valuedouble == 100);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(v, "t")) && cJSON_IsNull(cJSON_GetObjectItem(v, "z")));
    cJSON_Delete(v);
    /* Not NUL-terminated: only len bytes are read. */
    char buf[4] = {'[', '1', ']', '9'};
    v = lm_json_parse_strict(buf, 3, field, sizeof field, &err);
    CHECK(v && cJSON_GetArraySize(v) == 1);
    cJSON_Delete(v);
    CHECK(lm_json_parse_strict(NULL, 0, field, sizeof field, &err) == NULL);
}

/* An enum of the schema, found by a path of keys, equals a C table. */
static void check_enum(const cJSON *root, const char *const *path, const char *(*name_of)(int), int first,
                       const char *what) {
    const cJSON *o = root;
    for (int i = 0; path[i]; i++) o = cJSON_GetObjectItemCaseSensitive(o, path[i]);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "enum");
    CHECK_MSG(cJSON_IsArray(e), "%s: no enum in the schema", what);
    int i = first;
    for (const cJSON *x = e ? e->child : NULL; x; x = x->next, i++)
        CHECK_MSG(name_of(i) && !strcmp(name_of(i), x->valuestring), "%s: schema has \"%s\", the table \"%s\"",
                  what, x->valuestring, name_of(i) ? name_of(i) : "(none)");
    CHECK_MSG(name_of(i) == NULL, "%s: the table has \"%s\", the schema does not", what, name_of(i));
}

static const char *formula_at(int i) { return lm_kernel_formula_name((lm_kernel_formula)i); }
static const char *solver_at(int i) { return lm_solver_name((lm_solver_kind)i); }
static const char *param_set_at(int i) { return lm_param_set_name((lm_param_set)i); }
static const char *optimizer_at(int i) { return lm_opt_name((lm_opt_kind)i); }
static const char *precision_at(int i) { return lm_spec_precision_name((lm_spec_precision)i); }
static const char *lora_init_at(int i) { return lm_lora_init_name((lm_lora_init_kind)i); }
static const char *lora_target_at(int i) { return i >= 0 && i < 31 ? lm_lora_target_name(1u << i) : NULL; }

/* One vocabulary: the names the schema accepts are the tables of common/
 * (kernel/formula.h, solve/solver_kind.h, model/param_set.h,
 * train/config.h, spec_names.c), in the same order. */
static void test_vocabulary(void) {
    size_t len;
    const char *text = lm_spec_schema_text(&len);
    cJSON *root = cJSON_ParseWithLength(text, len);
    check_enum(root, (const char *[]){"$defs", "formula", NULL}, formula_at, LM_KF_FIRST, "formulas");
    check_enum(root, (const char *[]){"$defs", "solverName", NULL}, solver_at, 0, "solvers");
    check_enum(root, (const char *[]){"$defs", "params", NULL}, param_set_at, 0, "parameter sets");
    check_enum(root, (const char *[]){"$defs", "finetune", "properties", "optimizer", NULL}, optimizer_at, 0,
               "optimizers");
    check_enum(root, (const char *[]){"properties", "kernel", "properties", "precision", NULL}, precision_at, 0,
               "precisions");
    check_enum(root, (const char *[]){"$defs", "lora", "properties", "init", NULL}, lora_init_at, 0, "LoRA inits");
    check_enum(root, (const char *[]){"$defs", "lora", "properties", "targets", "items", NULL}, lora_target_at, 0,
               "LoRA targets");
    for (int f = LM_KF_FIRST; f <= LM_KF_LAST; f++)
        CHECK(lm_kernel_formula_parse(lm_kernel_formula_name((lm_kernel_formula)f)) == f);
    /* the class counts spec/ checks "binary" and label lists with are those
     * of prompt/'s task table, and the schema's tasks are its tasks */
    for (int i = 0; i < lm_task_builtin_count(); i++) {
        lm_error err;
        lm_task *t = lm_task_builtin(lm_task_builtin_name(i), &err);
        CHECK_MSG(t && lm_spec_task_classes(t->name) == t->n_labels, "task %s: %d classes in spec/, %d in prompt/",
                  lm_task_builtin_name(i), lm_spec_task_classes(lm_task_builtin_name(i)), t ? t->n_labels : -1);
        lm_task_free(t);
    }
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "properties"), "task"), "enum");
    CHECK(cJSON_GetArraySize(tasks) == lm_task_builtin_count() + 1); /* + "custom" */
    CHECK(lm_kernel_formula_parse("sgdd") < 0 && lm_param_set_parse("lora") == LM_PS_LORA);
    cJSON_Delete(root);
}

int main(void) {
    test_vocabulary();
    test_brief_spec();
    test_defaults();
    test_bad_specs();
    test_round_trips();
    test_schema_defaults();
    test_schema_loader();
    test_json_strict();
    return check_exit("test_spec");
}
