/* log.c — see log.h. A "<N>" prefix gives journald the syslog level. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *program = "vswitch";

void log_set_program(const char *name)
{
	program = name;
}

static void emit(int level, const char *fmt, va_list ap)
{
	char line[1024];
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "<%d>%s: %s\n", level, program, line);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(6, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(3, fmt, ap);
	va_end(ap);
}
