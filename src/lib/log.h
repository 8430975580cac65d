/* log.h — the daemon's log lines on stderr (journald under systemd). Never
 * on the fast path: counters are for per-packet events. */
#ifndef VSWITCH_LOG_H
#define VSWITCH_LOG_H

void log_set_program(const char *name);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
