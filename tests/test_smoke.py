from django.urls import reverse


def test_healthz_answers_with_one_query(client, django_assert_num_queries, db):
    with django_assert_num_queries(1):
        response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok"}


def test_login_page_is_japanese(client, db):
    response = client.get(reverse("accounts:login"))
    assert "ネットデスクにログイン" in response.content.decode()
