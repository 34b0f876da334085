/* log.h - leveled logging to stderr. */
#ifndef LM_UTIL_LOG_H
#define LM_UTIL_LOG_H

enum { LM_LOG_DEBUG = 0, LM_LOG_INFO, LM_LOG_WARN, LM_LOG_ERROR };

/* The process-wide threshold; set once at start-up from flags/config. */
void lm_log_set_level(int level);
int lm_log_parse_level(const char *name); /* -1 if unknown */
void lm_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define lm_debug(...) lm_log(LM_LOG_DEBUG, __VA_ARGS__)
#define lm_info(...) lm_log(LM_LOG_INFO, __VA_ARGS__)
#define lm_warn(...) lm_log(LM_LOG_WARN, __VA_ARGS__)
#define lm_errorlog(...) lm_log(LM_LOG_ERROR, __VA_ARGS__)

#endif
