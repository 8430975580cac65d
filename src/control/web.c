/* web.c — see web.h. Placeholder until the web view lands: every path is
 * 404, so the listener and /metrics can be built and tested first. */
#include "web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void web_serve(struct control_state *state, const struct http_request *req,
	       struct http_response *resp)
{
	(void)state;
	(void)req;
	static const char text[] = "not found\n";
	resp->status = 404;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body = strdup(text);
	resp->body_len = resp->body ? sizeof(text) - 1 : 0;
}
