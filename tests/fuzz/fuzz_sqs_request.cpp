// SQS endpoint requests (any bytes) through both wire protocols and the actions over a fresh store: the
// first byte picks Query in a POST body, Query in a GET target, or JSON; for JSON the first line is the
// X-Amz-Target action and the rest the body. Every request must get exactly one well-formed answer.
#include <lemu/sqs/service.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const unsigned mode = static_cast<unsigned char>(in[0]) % 3;
  in.remove_prefix(1);

  boost::asio::io_context io(1);
  lemu::sqs::virtual_clock clk(io.get_executor(), 1764633600000);
  lemu::sqs::store st(clk, lemu::sqs::store_options{});
  lemu::sqs::service svc(io.get_executor(), st, clk);
  st.create_queue("q", {});
  st.create_queue("f.fifo", {{"FifoQueue", "true"}});

  lemu::gateway::http_request r;
  r.source_ip = "127.0.0.1";
  if (mode == 0) {
    r.method = "POST";
    r.target = "/000000000000/q";
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    r.body = std::string(in);
  } else if (mode == 1) {
    r.method = "GET";
    r.target = "/?" + std::string(in);
  } else {
    const std::size_t nl = in.find('\n');
    r.method = "POST";
    r.target = "/";
    r.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                 {"X-Amz-Target", "AmazonSQS." + std::string(in.substr(0, nl))}};
    r.body = nl == std::string_view::npos ? std::string() : std::string(in.substr(nl + 1));
  }
  int answers = 0;
  svc.handle(r, [&answers](lemu::gateway::http_response a) {
    ++answers;
    if (a.status < 200 || a.status > 599 || a.body.empty()) std::abort();
  });
  for (int i = 0; i < 64 && answers == 0; ++i) {
    io.restart();
    io.poll();
    if (answers == 0 && !clk.advance()) break;
  }
  svc.stop();
  io.restart();
  io.poll();
  if (answers != 1) std::abort();
  return 0;
}
