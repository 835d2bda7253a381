"""``core.csrf``'s token: Django's masking of the CSRF secret, with the mask drawn in one call."""

from django.http import HttpResponse
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CsrfViewMiddleware,
    _get_new_csrf_string,
    _unmask_cipher_token,
)
from django.test import RequestFactory

from tashawur.core.csrf import _token, response_token


def _request_with_secret(secret: str):
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    return request


def _view(request):
    return HttpResponse("ok")


def test_the_token_unmasks_to_the_request_secret():
    secret = _get_new_csrf_string()

    tokens = [_token(_request_with_secret(secret)) for _ in range(50)]

    assert all(len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS) for token in tokens)
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    assert len(set(tokens)) == 50  # a fresh mask each time


def test_the_token_is_accepted_by_the_csrf_middleware():
    secret = _get_new_csrf_string()
    token = _token(_request_with_secret(secret))
    factory = RequestFactory()
    middleware = CsrfViewMiddleware(_view)
    post = factory.post("/", {"csrfmiddlewaretoken": token}, secure=False)
    post.COOKIES["csrftoken"] = secret
    middleware.process_request(post)

    assert middleware.process_view(post, _view, (), {}) is None
    refused = factory.post("/", {"csrfmiddlewaretoken": token[:32] + secret[::-1]})
    refused.COOKIES["csrftoken"] = secret
    middleware.process_request(refused)
    assert middleware.process_view(refused, _view, (), {}).status_code == 403


def test_the_cookie_is_sent_again_as_get_token_does():
    request = _request_with_secret(_get_new_csrf_string())

    _token(request)

    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_without_a_secret_django_makes_one():
    request = RequestFactory().get("/")

    token = _token(request)

    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == 32
    assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_one_response_shares_one_token():
    request = _request_with_secret(_get_new_csrf_string())

    assert response_token(request) == response_token(request)
