/* counters.c — names and descriptions of the drop reasons, generated from
 * the list in counters.h. */
#include "counters.h"

#include <string.h>

static const char *const names[DROP_MAX] = {[DROP_NONE] = "none",
#define DROP_NAME(e, name, text) [DROP_##e] = name,
					    FOREACH_DROP_REASON(DROP_NAME)
#undef DROP_NAME
};

static const char *const texts[DROP_MAX] = {[DROP_NONE] = "not dropped",
#define DROP_TEXT(e, name, text) [DROP_##e] = text,
					    FOREACH_DROP_REASON(DROP_TEXT)
#undef DROP_TEXT
};

const char *drop_reason_name(enum drop_reason reason)
{
	return (unsigned)reason < DROP_MAX ? names[reason] : "unknown";
}

const char *drop_reason_text(enum drop_reason reason)
{
	return (unsigned)reason < DROP_MAX ? texts[reason] : "unknown";
}

enum drop_reason drop_reason_from_name(const char *name)
{
	for (int i = 1; i < DROP_MAX; i++)
		if (strcmp(names[i], name) == 0)
			return (enum drop_reason)i;
	return DROP_NONE;
}
