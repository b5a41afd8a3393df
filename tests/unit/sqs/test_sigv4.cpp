// SigV4 against AWS's published Signature Version 4 test suite (credentials AKIDEXAMPLE /
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service "service"), and the AWS
// documentation's IAM ListUsers example; then where credentials and the region come from.
#include <lemu/sqs/sigv4.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace lemu::sqs;
using headers = std::vector<std::pair<std::string, std::string>>;

const sigv4::credentials example{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "test"};
const sigv4::scope suite_scope{"20150830T123600Z", "us-east-1", "service"};
constexpr const char* empty_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char* credential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";
constexpr const char* sts_token =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwth"
    "Ax7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVX"
    "AkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

struct vector_case {
  const char* name;
  const char* method;
  const char* path;
  const char* query;
  headers extra; // besides Host and X-Amz-Date (first)
  const char* body;
  std::string creq;          // expected canonical request
  const char* signed_headers;
  const char* signature;
};

std::string host_date() { return "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"; }

std::vector<vector_case> suite() {
  const std::string plain = host_date() + "\nhost;x-amz-date\n" + empty_hash;
  return {
      {"get-vanilla", "GET", "/", "", {}, "", "GET\n/\n\n" + plain, "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-vanilla-empty-query-key", "GET", "/", "Param1=value1", {}, "", "GET\n/\nParam1=value1\n" + plain,
       "host;x-amz-date", "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
      {"get-vanilla-query-order-key", "GET", "/", "Param1=value2&Param1=Value1", {}, "",
       "GET\n/\nParam1=Value1&Param1=value2\n" + plain, "host;x-amz-date",
       "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
      {"get-vanilla-query-order-key-case", "GET", "/", "Param2=value2&Param1=value1", {}, "",
       "GET\n/\nParam1=value1&Param2=value2\n" + plain, "host;x-amz-date",
       "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
      {"get-vanilla-query-order-value", "GET", "/", "Param1=value2&Param1=value1", {}, "",
       "GET\n/\nParam1=value1&Param1=value2\n" + plain, "host;x-amz-date",
       "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
      {"get-vanilla-query-unreserved", "GET", "/",
       "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
       {}, "",
       "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n" +
           plain,
       "host;x-amz-date", "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
      {"get-vanilla-utf8-query", "GET", "/", "\xe1\x88\xb4=bar", {}, "", "GET\n/\n%E1%88%B4=bar\n" + plain,
       "host;x-amz-date", "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
      {"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "", {}, "",
       "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\n" + plain, "host;x-amz-date",
       "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
      {"get-utf8", "GET", "/\xe1\x88\xb4", "", {}, "", "GET\n/%E1%88%B4\n\n" + plain, "host;x-amz-date",
       "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
      {"get-header-key-duplicate", "GET", "/", "",
       {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(empty_hash),
       "host;my-header1;x-amz-date", "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
      {"get-header-value-multiline", "GET", "/", "", {{"My-Header1", "value1\n  value2\n     value3"}}, "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,value2,value3\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(empty_hash),
       "host;my-header1;x-amz-date", "ba17b383a53190154eb5fa66a1b836cc297cc0a3d70a5d00705980573d8ff790"},
      {"get-header-value-order", "GET", "/", "",
       {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}}, "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(empty_hash),
       "host;my-header1;x-amz-date", "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
      {"get-header-value-trim", "GET", "/", "", {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}}, "",
       "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;my-header2;x-amz-date\n" + std::string(empty_hash),
       "host;my-header1;my-header2;x-amz-date", "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
      {"post-vanilla", "POST", "/", "", {}, "", "POST\n/\n\n" + plain, "host;x-amz-date",
       "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
      {"post-vanilla-query", "POST", "/", "Param1=value1", {}, "", "POST\n/\nParam1=value1\n" + plain,
       "host;x-amz-date", "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
      {"post-header-key-sort", "POST", "/", "", {{"My-Header1", "value1"}}, "",
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(empty_hash),
       "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
      {"post-header-value-case", "POST", "/", "", {{"My-Header1", "VALUE1"}}, "",
       "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\n"
       "host;my-header1;x-amz-date\n" + std::string(empty_hash),
       "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
      {"post-x-www-form-urlencoded", "POST", "/", "", {{"Content-Type", "application/x-www-form-urlencoded"}},
       "Param1=value1",
       "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
       "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
       "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
       "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
      {"post-sts-header-before", "POST", "/", "", {{"X-Amz-Security-Token", sts_token}}, "",
       "POST\n/\n\n" + host_date() + "x-amz-security-token:" + sts_token +
           "\n\nhost;x-amz-date;x-amz-security-token\n" + empty_hash,
       "host;x-amz-date;x-amz-security-token", "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
      // normalize-path
      {"get-relative", "GET", "/example/..", "", {}, "", "GET\n/\n\n" + plain, "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-relative-relative", "GET", "/example1/example2/../..", "", {}, "", "GET\n/\n\n" + plain,
       "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash", "GET", "//", "", {}, "", "GET\n/\n\n" + plain, "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-dot-slash", "GET", "/./", "", {}, "", "GET\n/\n\n" + plain, "host;x-amz-date",
       "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
      {"get-slash-pointless-dot", "GET", "/./example", "", {}, "", "GET\n/example\n\n" + plain, "host;x-amz-date",
       "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
      {"get-slashes", "GET", "//example//", "", {}, "", "GET\n/example/\n\n" + plain, "host;x-amz-date",
       "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
      {"get-space", "GET", "/example space/", "", {}, "", "GET\n/example%20space/\n\n" + plain, "host;x-amz-date",
       "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
  };
}

TEST(SigV4, TheAwsTestSuiteVectors) {
  for (const vector_case& c : suite()) {
    SCOPED_TRACE(c.name);
    sigv4::request r;
    r.method = c.method;
    r.path = c.path;
    r.query = c.query;
    r.body = c.body;
    r.headers = {{"Host", "example.amazonaws.com"}};
    for (const auto& h : c.extra) r.headers.push_back(h);
    r.headers.emplace_back("X-Amz-Date", "20150830T123600Z");
    const sigv4::signature s = sigv4::sign(r, example, suite_scope);
    EXPECT_EQ(s.canonical_request, c.creq);
    EXPECT_EQ(s.string_to_sign, "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
                                    sigv4::sha256_hex(c.creq));
    EXPECT_EQ(s.signed_headers, c.signed_headers);
    EXPECT_EQ(s.signature, c.signature);
    EXPECT_EQ(s.authorization, std::string(credential) + "SignedHeaders=" + c.signed_headers + ", Signature=" + c.signature);
  }
}

// The suite's string to sign for get-vanilla, spelled out.
TEST(SigV4, TheStringToSignOfGetVanilla) {
  sigv4::request r{"GET", "/", "", {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}}, ""};
  EXPECT_EQ(sigv4::sign(r, example, suite_scope).string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

// docs.aws.amazon.com's worked example: GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08.
TEST(SigV4, TheIamListUsersExampleOfTheAwsDocumentation) {
  sigv4::request r{"GET",
                   "/",
                   "Action=ListUsers&Version=2010-05-08",
                   {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                    {"Host", "iam.amazonaws.com"},
                    {"X-Amz-Date", "20150830T123600Z"}},
                   ""};
  const sigv4::signature s = sigv4::sign(r, example, {"20150830T123600Z", "us-east-1", "iam"});
  EXPECT_EQ(s.canonical_request, std::string("GET\n/\nAction=ListUsers&Version=2010-05-08\n"
                                             "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
                                             "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                             "content-type;host;x-amz-date\n") + empty_hash);
  EXPECT_EQ(sigv4::sha256_hex(s.canonical_request), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(sigv4::hex(sigv4::signing_key(example.secret_access_key, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  EXPECT_EQ(s.signature, "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  EXPECT_EQ(s.authorization, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                             "SignedHeaders=content-type;host;x-amz-date, "
                             "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, SignRequestAddsTheDateTheTokenAndTheAuthorization) {
  // 2015-08-30T12:36:00Z, and the suite's session token: post-sts-header-before.
  sigv4::credentials c = example;
  c.session_token = sts_token;
  sigv4::request r{"POST", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
  const sigv4::signature s = sigv4::sign_request(r, c, "us-east-1", "service", 1440938160000);
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.headers[1], (std::pair<std::string, std::string>{"X-Amz-Date", "20150830T123600Z"}));
  EXPECT_EQ(r.headers[2], (std::pair<std::string, std::string>{"X-Amz-Security-Token", sts_token}));
  EXPECT_EQ(r.headers[3].first, "Authorization");
  EXPECT_EQ(r.headers[3].second, s.authorization);
  EXPECT_EQ(s.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");

  sigv4::request plain{"POST", "/", "", {{"Host", "example.amazonaws.com"}}, ""};
  sigv4::sign_request(plain, example, "us-east-1", "service", 1440938160000);
  ASSERT_EQ(plain.headers.size(), 3u); // no token header without a token
  EXPECT_EQ(plain.headers[2].second, std::string(credential) + "SignedHeaders=host;x-amz-date, "
                                     "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4, PathsAsSentAreEncodedOnceMore) {
  // A percent-encoded path (as on the wire) is encoded again, as for every service but S3.
  EXPECT_EQ(sigv4::canonical_uri("/a%20b"), "/a%2520b");
  EXPECT_EQ(sigv4::canonical_uri(""), "/");
  EXPECT_EQ(sigv4::canonical_uri("/123456789012/orders"), "/123456789012/orders");
  EXPECT_EQ(sigv4::canonical_query("b=%2F&a"), "a=&b=%2F");
  EXPECT_EQ(sigv4::uri_encode("a/b c+", true), "a/b%20c%2B");
  EXPECT_EQ(sigv4::uri_encode("a/b", false), "a%2Fb");
}

// Credentials and region -----------------------------------------------------------------------------

sigv4::env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "lemu-sigv4-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories((path / name).parent_path());
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

TEST(Credentials, TheEnvironmentComesFirst) {
  const auto c = sigv4::find_credentials(
      env_of({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "SECRET"}, {"AWS_SESSION_TOKEN", "TOKEN"},
              {"HOME", "/nonexistent"}}));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c.value().access_key_id, "AKID");
  EXPECT_EQ(c.value().secret_access_key, "SECRET");
  EXPECT_EQ(c.value().session_token, "TOKEN");
  EXPECT_EQ(c.value().source, "environment");
}

TEST(Credentials, HalfOfThemInTheEnvironmentIsAnError) {
  const auto c = sigv4::find_credentials(env_of({{"AWS_ACCESS_KEY_ID", "AKID"}, {"HOME", "/nonexistent"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.err().code, "MissingCredentials");
  EXPECT_NE(c.err().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << c.err().message;
}

TEST(Credentials, TheDefaultProfileOfTheSharedFileUnderHome) {
  temp_dir home;
  home.write(".aws/credentials", "# comment\n[other]\naws_access_key_id = OTHER\naws_secret_access_key = X\n\n"
                                 "[default]\n aws_access_key_id=DEFKEY \r\nAWS_Secret_Access_Key = DEF/SECRET+\r\n"
                                 "; another comment\naws_session_token = SESS\n");
  const auto c = sigv4::find_credentials(env_of({{"HOME", home.path.string()}}));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c.value().access_key_id, "DEFKEY");
  EXPECT_EQ(c.value().secret_access_key, "DEF/SECRET+");
  EXPECT_EQ(c.value().session_token, "SESS");
  EXPECT_EQ(c.value().source, (home.path / ".aws/credentials").string() + " [default]");
}

TEST(Credentials, AwsProfileAndAwsSharedCredentialsFileNameAnotherOne) {
  temp_dir dir;
  const std::string file =
      dir.write("creds.ini", "[default]\naws_access_key_id=D\naws_secret_access_key=D\n"
                             "[work]\naws_access_key_id=W\naws_secret_access_key=WS\n");
  const auto c = sigv4::find_credentials(env_of({{"AWS_SHARED_CREDENTIALS_FILE", file}, {"AWS_PROFILE", "work"}}));
  ASSERT_TRUE(c.ok()) << c.err().message;
  EXPECT_EQ(c.value().access_key_id, "W");
  EXPECT_EQ(c.value().secret_access_key, "WS");
  EXPECT_EQ(c.value().session_token, "");
}

TEST(Credentials, NoneAnywhereNamesThePlacesLookedIn) {
  temp_dir home; // no .aws folder
  const auto c = sigv4::find_credentials(env_of({{"HOME", home.path.string()}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.err().code, "MissingCredentials");
  for (const char* place : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
                            "[default]", "/.aws/credentials"}) {
    EXPECT_NE(c.err().message.find(place), std::string::npos) << place << " in " << c.err().message;
  }
  // A file without the profile says so.
  home.write(".aws/credentials", "[other]\naws_access_key_id=A\naws_secret_access_key=B\n");
  const auto d = sigv4::find_credentials(env_of({{"HOME", home.path.string()}}));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.err().message.find("no such profile"), std::string::npos) << d.err().message;
}

TEST(Region, EnvironmentThenTheQueueHostThenUsEast1) {
  const std::string aws_url = "https://sqs.eu-west-3.amazonaws.com/123456789012/orders";
  EXPECT_EQ(sigv4::find_region(env_of({{"AWS_REGION", "ap-south-1"}, {"AWS_DEFAULT_REGION", "x"}}), aws_url), "ap-south-1");
  EXPECT_EQ(sigv4::find_region(env_of({{"AWS_DEFAULT_REGION", "ca-central-1"}}), aws_url), "ca-central-1");
  EXPECT_EQ(sigv4::find_region(env_of({}), aws_url), "eu-west-3");
  EXPECT_EQ(sigv4::find_region(env_of({}), "https://eu-north-1.queue.amazonaws.com/1/q"), "eu-north-1");
  EXPECT_EQ(sigv4::find_region(env_of({}), "https://sqs.cn-north-1.amazonaws.com.cn/1/q"), "cn-north-1");
  EXPECT_EQ(sigv4::find_region(env_of({}), "http://localhost:9324/000000000000/q"), "us-east-1");
  EXPECT_EQ(sigv4::find_region(env_of({}), "http://sqs.evil.example.com/1/q"), "us-east-1");
  EXPECT_EQ(sigv4::region_of_host("queue.amazonaws.com"), "us-east-1");
  EXPECT_EQ(sigv4::region_of_host("s3.eu-west-1.amazonaws.com"), "");
}

} // namespace
