"""HTTP and WebSocket adapters: parse, load the actor, call one domain function, render."""
