// Parameters, pseudo parameters, conditions and the intrinsic functions, in both forms.
#include "template_test.hpp"

#include <gmock/gmock.h>

namespace lemu::templates::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(TemplateIntrinsics, PseudoParametersFollowTheOptions) {
  scratch s;
  const auto st = load_text(s, with_variables("          R: !Ref AWS::Region\n"
                                              "          A: !Ref AWS::AccountId\n"
                                              "          N: !Ref AWS::StackName\n"
                                              "          I: !Ref AWS::StackId\n"
                                              "          P: !Ref AWS::Partition\n"
                                              "          U: {Ref: AWS::URLSuffix}\n"),
                            {.parameter_overrides = {}, .region = "eu-west-1", .account_id = "111122223333", .stack_name = "shop"});
  const function& fn = st.functions.at(0);
  EXPECT_EQ(env(fn, "R"), "eu-west-1");
  EXPECT_EQ(env(fn, "A"), "111122223333");
  EXPECT_EQ(env(fn, "N"), "shop");
  EXPECT_EQ(env(fn, "I"), "arn:aws:cloudformation:eu-west-1:111122223333:stack/shop/51af3dc0-da77-11e4-872e-1234567db123");
  EXPECT_EQ(env(fn, "P"), "aws");
  EXPECT_EQ(env(fn, "U"), "amazonaws.com");
  EXPECT_THAT(st.warnings, IsEmpty());
}

TEST(TemplateIntrinsics, ParametersDefaultsOverridesAndTypes) {
  scratch s;
  const std::string params = "Parameters:\n"
                             "  Stage: {Type: String, Default: dev, AllowedValues: [dev, prod]}\n"
                             "  Size: {Type: Number, Default: 3}\n"
                             "  Names: {Type: CommaDelimitedList, Default: 'a,b, c'}\n"
                             "  Ids: {Type: 'List<Number>', Default: '1,2'}\n";
  const std::string vars = "          STAGE: !Ref Stage\n"
                           "          SIZE: !Ref Size\n"
                           "          SECOND: !Select [1, !Ref Names]\n"
                           "          THIRD: !Select ['2', !Ref Names]\n"
                           "          IDS: !Join ['+', !Ref Ids]\n";
  auto st = load_text(s, with_variables(vars, params));
  EXPECT_EQ(env(st.functions[0], "STAGE"), "dev");
  EXPECT_EQ(env(st.functions[0], "SIZE"), "3");
  EXPECT_EQ(env(st.functions[0], "SECOND"), "b");
  EXPECT_EQ(env(st.functions[0], "THIRD"), "c");
  EXPECT_EQ(env(st.functions[0], "IDS"), "1+2");
  st = load_text(s, with_variables(vars, params), {.parameter_overrides = {{"Stage", "prod"}, {"Names", "x,y,z"}}});
  EXPECT_EQ(env(st.functions[0], "STAGE"), "prod");
  EXPECT_EQ(env(st.functions[0], "SECOND"), "y");
}

TEST(TemplateIntrinsics, ParameterErrors) {
  scratch s;
  const std::string params = "Parameters:\n"
                             "  Stage:\n"
                             "    Type: String\n"
                             "    Default: dev\n"
                             "    AllowedValues: [dev, prod]\n"
                             "  Size:\n"
                             "    Type: Number\n"
                             "    Default: 3\n";
  const auto file = s.write("template.yaml", with_variables("          S: !Ref Stage\n", params));
  const std::string f = file.string();
  EXPECT_EQ(error_of([&] { load(file, {.parameter_overrides = {{"Stage", "qa"}}}); }),
            f + ":2:3: Parameters.Stage: 'qa' is not one of the AllowedValues (dev, prod)");
  EXPECT_EQ(error_of([&] { load(file, {.parameter_overrides = {{"Size", "big"}}}); }),
            f + ":6:3: Parameters.Size: 'big' is not a Number");
  EXPECT_EQ(error_of([&] { load(file, {.parameter_overrides = {{"Missing", "x"}}}); }),
            f + ": --parameter-overrides Missing: the template declares no such parameter");
  const auto no_default = s.write("nodefault.yaml", with_variables("          S: !Ref Stage\n",
                                                                   "Parameters:\n  Stage:\n    Type: String\n"));
  EXPECT_EQ(error_of([&] { load(no_default); }),
            no_default.string() + ":2:3: Parameters.Stage: no Default and no --parameter-overrides value");
  const auto bad_default = s.write("baddefault.yaml", with_variables("          S: !Ref Stage\n",
                                                                     "Parameters:\n  Stage:\n    Default: qa\n"
                                                                     "    AllowedValues: [dev]\n"));
  EXPECT_EQ(error_of([&] { load(bad_default); }),
            bad_default.string() + ":3:14: Parameters.Stage: 'qa' is not one of the AllowedValues (dev)");
}

TEST(TemplateIntrinsics, SubBothFormsAndEscapes) {
  scratch s;
  const auto st = load_text(
      s, with_variables("          A: !Sub '${AWS::StackName}-${Stage}-x'\n"
                        "          B: !Sub ['${Greeting}, ${Stage}!', {Greeting: !Join ['', [he, llo]]}]\n"
                        "          C: !Sub 'literal ${!Stage} and ${ Stage }'\n"
                        "          D: {'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*'}\n"
                        "          E: !Sub '${Queue.Arn} ${Queue} ${Fn}'\n"
                        "          F: !Sub 'unterminated ${Stage'\n"
                        "  Bucket:\n"
                        "    Type: AWS::S3::Bucket\n"
                        "  Queue:\n"
                        "    Type: AWS::SQS::Queue\n",
                        "Parameters:\n  Stage: {Type: String, Default: dev}\n"));
  const function& fn = st.functions.at(0);
  EXPECT_EQ(env(fn, "A"), "lemu-dev-x");
  EXPECT_EQ(env(fn, "B"), "hello, dev!");
  EXPECT_EQ(env(fn, "C"), "literal ${Stage} and dev");
  EXPECT_EQ(env(fn, "D"), "arn:aws:s3:::Bucket/*");
  EXPECT_EQ(env(fn, "E"), "arn:aws:sqs:us-east-1:123456789012:Queue https://sqs.us-east-1.amazonaws.com/123456789012/Queue Fn");
  EXPECT_EQ(env(fn, "F"), "unterminated ${Stage");
  EXPECT_THAT(st.warnings, IsEmpty());
}

TEST(TemplateIntrinsics, RefsAndGetAttOfResources) {
  scratch s;
  const auto st = load_text(s, "Resources:\n"
                               "  Orders:\n"
                               "    Type: AWS::Serverless::Function\n"
                               "    Properties:\n"
                               "      FunctionName: !Sub '${AWS::StackName}-orders'\n"
                               "      Environment:\n"
                               "        Variables:\n"
                               "          SELF: !Ref Orders\n"
                               "          OTHER: !Ref Plain\n"
                               "          OTHER_ARN: !GetAtt [Plain, Arn]\n"
                               "          QUEUE_URL: !Ref Jobs\n"
                               "          QUEUE_ARN: !GetAtt Jobs.Arn\n"
                               "          QUEUE_NAME: !GetAtt [Jobs, QueueName]\n"
                               "          QUEUE_URL2: {'Fn::GetAtt': [Jobs, QueueUrl]}\n"
                               "          TABLE: !Ref Table\n"
                               "          TABLE_ARN: !GetAtt Table.Arn\n"
                               "          STREAM: !GetAtt Table.StreamArn\n"
                               "  Plain:\n"
                               "    Type: AWS::Lambda::Function\n"
                               "    Properties: {Code: ., Handler: bootstrap, Runtime: provided.al2023}\n"
                               "  Jobs:\n"
                               "    Type: AWS::SQS::Queue\n"
                               "    Properties: {QueueName: jobs.fifo, FifoQueue: true}\n"
                               "  Table:\n"
                               "    Type: AWS::DynamoDB::Table\n");
  const function& fn = *st.find("Orders");
  EXPECT_EQ(fn.function_name, "lemu-orders");
  EXPECT_EQ(env(fn, "SELF"), "lemu-orders");
  EXPECT_EQ(env(fn, "OTHER"), "Plain");
  EXPECT_EQ(env(fn, "OTHER_ARN"), "arn:aws:lambda:us-east-1:123456789012:function:Plain");
  EXPECT_EQ(env(fn, "QUEUE_URL"), "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo");
  EXPECT_EQ(env(fn, "QUEUE_ARN"), "arn:aws:sqs:us-east-1:123456789012:jobs.fifo");
  EXPECT_EQ(env(fn, "QUEUE_NAME"), "jobs.fifo");
  EXPECT_EQ(env(fn, "QUEUE_URL2"), "https://sqs.us-east-1.amazonaws.com/123456789012/jobs.fifo");
  EXPECT_EQ(env(fn, "TABLE"), "Table");
  EXPECT_EQ(env(fn, "TABLE_ARN"), "");
  EXPECT_EQ(env(fn, "STREAM"), "");
  EXPECT_THAT(st.warnings,
              ElementsAre("Orders: Environment.Variables.TABLE_ARN: !GetAtt Table.Arn cannot be resolved locally: \"\"",
                          "Orders: Environment.Variables.STREAM: !GetAtt Table.StreamArn cannot be resolved locally: \"\""));
}

TEST(TemplateIntrinsics, UnresolvableValuesAreEmptyWithAWarning) {
  scratch s;
  const auto st = load_text(s, with_variables("          A: !ImportValue shared-vpc-id\n"
                                              "          B: !Ref Nowhere\n"
                                              "          C: !Sub 'x-${Nowhere.Arn}'\n"
                                              "          D: !FindInMap [Missing, a, b]\n"
                                              "          E: !Select [5, [a, b]]\n"));
  const function& fn = st.functions.at(0);
  for (const char* name : {"A", "B", "D", "E"}) EXPECT_EQ(env(fn, name), "") << name;
  EXPECT_EQ(env(fn, "C"), "x-");
  EXPECT_THAT(st.warnings,
              ElementsAre("Fn: Environment.Variables.A: !ImportValue shared-vpc-id cannot be resolved locally: \"\"",
                          "Fn: Environment.Variables.B: !Ref Nowhere cannot be resolved locally: \"\"",
                          "Fn: Environment.Variables.C: ${Nowhere.Arn} cannot be resolved locally: \"\"",
                          "Fn: Environment.Variables.D: !FindInMap [Missing, a, b] cannot be resolved locally: \"\"",
                          "Fn: Environment.Variables.E: !Select 5 cannot be resolved locally: \"\""));
}

TEST(TemplateIntrinsics, JoinSplitSelectBase64GetAZsFindInMap) {
  scratch s;
  const auto st = load_text(
      s, with_variables("          J: !Join [':', [a, !Ref AWS::Region, !Ref AWS::NoValue, c]]\n"
                        "          S: !Select [2, !Split [',', 'x,y,z']]\n"
                        "          L: {'Fn::Select': [1, {'Fn::Split': ['|', 'p|q']}]}\n"
                        "          B: !Base64 hello\n"
                        "          B2: !Base64 {'Fn::Sub': '${AWS::Region}'}\n"
                        "          Z: !Select [0, !GetAZs '']\n"
                        "          M: !FindInMap [Sizes, !Ref AWS::Region, Memory]\n"
                        "          MD: !FindInMap [Sizes, eu-west-3, Memory, {DefaultValue: 64}]\n",
                        "Mappings:\n  Sizes:\n    us-east-1: {Memory: 512}\n"));
  const function& fn = st.functions.at(0);
  EXPECT_EQ(env(fn, "J"), "a:us-east-1:c");
  EXPECT_EQ(env(fn, "S"), "z");
  EXPECT_EQ(env(fn, "L"), "q");
  EXPECT_EQ(env(fn, "B"), "aGVsbG8=");
  EXPECT_EQ(env(fn, "B2"), "dXMtZWFzdC0x");
  EXPECT_EQ(env(fn, "Z"), "us-east-1a");
  EXPECT_EQ(env(fn, "M"), "512");
  EXPECT_EQ(env(fn, "MD"), "64");
  EXPECT_THAT(st.warnings, IsEmpty());
}

TEST(TemplateIntrinsics, ConditionsAndIf) {
  scratch s;
  const std::string text = "Parameters:\n  Stage: {Type: String, Default: dev}\n"
                           "Conditions:\n"
                           "  IsProd: !Equals [!Ref Stage, prod]\n"
                           "  IsDev: {'Fn::Not': [{Condition: IsProd}]}\n"
                           "  Both: !And [!Condition IsDev, !Equals [a, a]]\n"
                           "  Either: !Or [!Condition IsProd, {'Fn::Equals': [!Ref AWS::Region, us-east-1]}]\n" +
                           with_variables("          A: !If [IsProd, p, d]\n"
                                          "          B: !If [Both, yes-both, nope]\n"
                                          "          C: !If [Either, yes-either, nope]\n"
                                          "          GONE: !If [IsProd, x, !Ref AWS::NoValue]\n");
  auto st = load_text(s, text);
  const function& fn = st.functions.at(0);
  EXPECT_EQ(env(fn, "A"), "d");
  EXPECT_EQ(env(fn, "B"), "yes-both");
  EXPECT_EQ(env(fn, "C"), "yes-either");
  EXPECT_EQ(env(fn, "GONE"), "<unset>");
  EXPECT_EQ(fn.environment.size(), 3u);
  st = load_text(s, text, {.parameter_overrides = {{"Stage", "prod"}}});
  EXPECT_EQ(env(st.functions[0], "A"), "p");
  EXPECT_EQ(env(st.functions[0], "B"), "nope");
  EXPECT_EQ(env(st.functions[0], "GONE"), "x");
}

TEST(TemplateIntrinsics, NoValueRemovesKeysAndListItems) {
  scratch s;
  const auto st = load_text(s, "Resources:\n"
                               "  Fn:\n"
                               "    Type: AWS::Serverless::Function\n"
                               "    Properties:\n"
                               "      Timeout: !Ref AWS::NoValue\n"
                               "      Layers: [!Ref AWS::NoValue, !Ref Layer]\n"
                               "      Environment:\n"
                               "        Variables:\n"
                               "          KEPT: k\n"
                               "          REMOVED: {Ref: AWS::NoValue}\n"
                               "  Layer:\n"
                               "    Type: AWS::Serverless::LayerVersion\n"
                               "    Properties: {ContentUri: lib}\n");
  const function& fn = st.functions.at(0);
  EXPECT_EQ(fn.timeout_seconds, 3);
  ASSERT_EQ(fn.environment.size(), 1u);
  EXPECT_EQ(fn.environment[0].first, "KEPT");
  EXPECT_THAT(fn.layers, ElementsAre(s.dir() / "lib"));
}

TEST(TemplateIntrinsics, ConditionErrors) {
  scratch s;
  auto file = s.write("cycle.yaml", "Conditions:\n"
                                    "  A: !Condition B\n"
                                    "  B: !Not [!Condition A]\n" +
                                        with_variables("          X: x\n"));
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":2:6: Conditions.A: the condition depends on itself: A -> B -> A");
  file = s.write("unknown.yaml", with_variables("          X: !If [Nope, a, b]\n"));
  EXPECT_EQ(error_of([&] { load(file); }), file.string() + ":7:14: condition 'Nope' is not in the Conditions section");
  file = s.write("notbool.yaml", "Conditions:\n  A: just-text\n" + with_variables("          X: x\n"));
  EXPECT_EQ(error_of([&] { load(file); }),
            file.string() + ":2:6: Conditions.A: expected a condition (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), got 'just-text'");
}

TEST(TemplateIntrinsics, WrongArgumentShapesAreErrors) {
  scratch s;
  auto file = s.write("t.yaml", with_variables("          X: !If [A, b]\n"));
  EXPECT_EQ(error_of([&] { load(file); }),
            file.string() + ":7:14: Resources.Fn.Properties.Environment.Variables.X: !If: expected a list of 3 items, got a list");
  file = s.write("t2.yaml", with_variables("          X: !GetAtt NoDot\n"));
  EXPECT_EQ(error_of([&] { load(file); }),
            file.string() + ":7:14: Resources.Fn.Properties.Environment.Variables.X: !GetAtt: expected Resource.Attribute, got 'NoDot'");
}

} // namespace
} // namespace lemu::templates::test
