/* agent_state.c — the domain agent's decisions (agent.h), pure so that a
 * unit test can walk them: its state from what its threads saw, the wait
 * before a retry, and what to do about a host whose lease expired. */
#include "cluster/agent.h"

const char *agent_state_name(enum agent_state state)
{
	switch (state) {
	case AGENT_CONNECTING:
		return "connecting";
	case AGENT_ONLINE:
		return "online";
	case AGENT_HEADLESS:
		return "headless";
	}
	return "?";
}

enum agent_state agent_state_decide(bool answered, bool lease_ok, bool watch_ok)
{
	if (lease_ok && watch_ok)
		return AGENT_ONLINE;
	return answered ? AGENT_HEADLESS : AGENT_CONNECTING;
}

unsigned agent_backoff_ms(unsigned failures)
{
	if (failures >= 5)
		return AGENT_BACKOFF_MAX_MS;
	unsigned ms = 100u << failures;
	return ms < AGENT_BACKOFF_MAX_MS ? ms : AGENT_BACKOFF_MAX_MS;
}

enum agent_dead_action agent_dead_decide(bool registered, int64_t down_since, int64_t now,
					 unsigned grace_seconds)
{
	if (registered)
		return AGENT_DEAD_NONE;
	if (!down_since)
		return AGENT_DEAD_MARK;
	return now - down_since >= (int64_t)grace_seconds ? AGENT_DEAD_RELEASE : AGENT_DEAD_NONE;
}
