"""What the benchmarks share about the demo: its coordinator's login."""

PASSWORD = "demo-password-2026"


def log_in(client) -> None:
    """Log the test client in as the demo coordinator."""
    page = client.get("/auth/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/auth/login",
        data={"email": "coordinator@example.org", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, "demo coordinator login failed"
