// The remote queue client over https:// against a TLS server on 127.0.0.1 run inside the test, with a
// certificate made by the test (OpenSSL): trusted through remote_options::ca_file it works; the system's
// trusted certificates do not vouch for it, and a certificate for another name is refused.
#include <lemu/sqs/remote_client.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

namespace lemu::sqs {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct pem_pair {
  std::string cert, key;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed certificate (P-256, one hour) for the subjectAltName `san` ("IP:127.0.0.1").
pem_pair make_certificate(const char* san) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  if (!key || !x) throw std::runtime_error("OpenSSL: no key or certificate");
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("lemu test"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san);
  if (ext == nullptr) throw std::runtime_error("OpenSSL: bad subjectAltName");
  X509_add_ext(x.get(), ext, -1);
  X509_EXTENSION_free(ext);
  if (X509_sign(x.get(), key.get(), EVP_sha256()) == 0) throw std::runtime_error("OpenSSL: cannot sign");
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(BIO_new(BIO_s_mem()), BIO_free), key_bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(cert_bio.get(), x.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

// Answers every request with GetQueueAttributes' answer over TLS; counts the requests it read.
class tls_endpoint {
public:
  tls_endpoint(asio::io_context& ioc, const pem_pair& pem)
      : m_ioc(ioc), m_ctx(ssl::context::tls_server), m_acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    m_ctx.use_certificate_chain(asio::buffer(pem.cert));
    m_ctx.use_private_key(asio::buffer(pem.key), ssl::context::pem);
    asio::co_spawn(ioc, accept_loop(), asio::detached);
  }
  ~tls_endpoint() {
    boost::system::error_code ec;
    m_acceptor.close(ec);
    for (auto& s : m_streams) s.next_layer().close(ec);
  }
  unsigned short port() const { return m_acceptor.local_endpoint().port(); }
  std::size_t requests = 0;
  std::string last_target_header;

private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await m_acceptor.async_accept(use_tuple);
      if (ec) co_return;
      m_streams.emplace_back(std::move(socket), m_ctx);
      asio::co_spawn(m_ioc, serve(m_streams.back()), asio::detached);
    }
  }
  asio::awaitable<void> serve(ssl::stream<tcp::socket>& s) {
    auto [hec] = co_await s.async_handshake(ssl::stream_base::server, use_tuple);
    if (hec) co_return;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(s, buffer, req, use_tuple);
      if (ec) co_return;
      ++requests;
      last_target_header = std::string(req["X-Amz-Target"]);
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = R"({"Attributes":{"QueueArn":"arn:aws:sqs:eu-west-1:123456789012:orders","VisibilityTimeout":"60"}})";
      res.prepare_payload();
      auto [wec, w] = co_await http::async_write(s, res, use_tuple);
      if (wec) co_return;
    }
  }

  asio::io_context& m_ioc;
  ssl::context m_ctx;
  tcp::acceptor m_acceptor;
  std::list<ssl::stream<tcp::socket>> m_streams;
};

struct temp_file {
  std::filesystem::path path;
  explicit temp_file(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lemu-ca-XXXXXX").string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd >= 0) ::close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

struct Https : ::testing::Test {
  asio::io_context ioc;

  result<std::unique_ptr<queue_client>> open(unsigned short port, const std::string& ca_file) {
    remote_options o;
    o.endpoint = "https://127.0.0.1:" + std::to_string(port);
    o.queue_url = "https://127.0.0.1:" + std::to_string(port) + "/123456789012/orders";
    o.region = "eu-west-1";
    o.credentials = sigv4::credentials{"AKID", "SECRET", "", "test"};
    o.ca_file = ca_file;
    std::optional<result<std::unique_ptr<queue_client>>> opened;
    open_remote_queue(ioc.get_executor(), o, [&](result<std::unique_ptr<queue_client>> r) { opened.emplace(std::move(r)); });
    const auto deadline = steady::now() + 10s;
    while (!opened && steady::now() < deadline) {
      ioc.restart();
      ioc.run_one_for(20ms);
    }
    if (!opened) return error{"TestTimeout", "no answer"};
    return std::move(*opened);
  }
};

TEST_F(Https, ATrustedCertificateForTheAddressWorks) {
  const pem_pair pem = make_certificate("IP:127.0.0.1");
  tls_endpoint server(ioc, pem);
  temp_file ca(pem.cert);
  auto q = open(server.port(), ca.path.string());
  ASSERT_TRUE(q.ok()) << q.err().code << ": " << q.err().message;
  EXPECT_EQ(q.value()->info().visibility_timeout_s, 60);
  EXPECT_EQ(server.requests, 1u);
  EXPECT_EQ(server.last_target_header, "AmazonSQS.GetQueueAttributes");
}

TEST_F(Https, ACertificateTheSystemDoesNotTrustIsRefused) {
  const pem_pair pem = make_certificate("IP:127.0.0.1");
  tls_endpoint server(ioc, pem);
  auto q = open(server.port(), ""); // the system's trusted certificates
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.err().code, "RequestError");
  EXPECT_THAT(q.err().message, ::testing::HasSubstr("TLS handshake with 127.0.0.1:"));
  EXPECT_THAT(q.err().message, ::testing::HasSubstr("certificate verify failed"));
  EXPECT_EQ(server.requests, 0u);
}

TEST_F(Https, ACertificateForAnotherNameIsRefused) {
  const pem_pair pem = make_certificate("DNS:sqs.example.com");
  tls_endpoint server(ioc, pem);
  temp_file ca(pem.cert);
  auto q = open(server.port(), ca.path.string());
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.err().code, "RequestError");
  EXPECT_THAT(q.err().message, ::testing::HasSubstr("certificate verify failed"));
  EXPECT_EQ(server.requests, 0u);
}

} // namespace
} // namespace lemu::sqs
