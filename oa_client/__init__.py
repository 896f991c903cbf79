"""政务协同办公客户端 — the core: domain rules, encrypted store, services. No Qt, no HTTP."""
