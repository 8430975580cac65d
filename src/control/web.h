/* web.h — the live web view, served on the HTTP listener (http.h): a small
 * self-contained page (HTML, CSS and JavaScript built into the daemon, no
 * tool chain, nothing fetched from elsewhere) and the read-only JSON API it
 * polls. Changes stay with the CLI. */
#ifndef VSWITCH_WEB_H
#define VSWITCH_WEB_H

#include "execute.h"
#include "http.h"

/* The header lines every web view answer carries (http_response.headers):
 * no framing, a Content-Security-Policy of 'self' only. */
extern const char web_security_headers[];

/* Answers every request the listener does not route elsewhere (everything
 * but /metrics): fills resp (status, type, malloc'd body). */
void web_serve(struct control_state *state, const struct http_request *req,
	       struct http_response *resp);

#endif
