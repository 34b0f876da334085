/* schema.h - a JSON Schema (draft 2020-12) validator for the subset that
 * schema/experiment.schema.json uses:
 *
 *   type (incl. integer), enum, const, properties, required,
 *   additionalProperties, items, minItems, maxItems, uniqueItems,
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers),
 *   minLength, maxLength (in code points), anyOf, oneOf, allOf,
 *   $ref to "#/$defs/<name>", boolean schemas;
 *   annotations ignored: $schema $id $comment title description default
 *   examples deprecated readOnly writeOnly.
 *
 * Loading refuses any other keyword, so the schema file cannot ask for a
 * check that would silently not be made.  Errors name the JSON path of the
 * offending value ("solver.regularization[1]") and say why ("must be >= 0"). */
#ifndef LM_SPEC_SCHEMA_H
#define LM_SPEC_SCHEMA_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "util/error.h"

typedef struct lm_schema lm_schema;

/* Parses (strictly) and checks a schema document. */
lm_schema *lm_schema_load(const char *json, size_t len, lm_error *err);
void lm_schema_free(lm_schema *s);

/* The schema document itself (owned by s). */
const cJSON *lm_schema_root(const lm_schema *s);

/* Follows "$ref" (if any) from a subschema of s to its target. */
const cJSON *lm_schema_deref(const lm_schema *s, const cJSON *sub);

/* 0 if instance is valid.  Otherwise -1, field = the JSON path of the first
 * offending value ("" for the root) and err = the reason. */
int lm_schema_validate(const lm_schema *s, const cJSON *instance, char *field,
                       size_t field_len, lm_error *err);

#endif
