"""Services: a session in, a domain call, persisted. Used by web, api, cli and scheduler alike."""
